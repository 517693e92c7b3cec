// Component tests of the Archived panel and the purge confirmation, rendered to HTML.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { sampleAgent } from '../../test/fake-client';
import { ArchivedPanel } from './ArchivedPanel';
import { tagOf, textOf } from './test-html';

const noop = (): void => undefined;

describe('ArchivedPanel', () => {
  it('lists archived agents with emoji, name, model, how long ago, Restore and Purge', () => {
    const a = sampleAgent({
      id: 'a1',
      name: 'Old Fox',
      emoji: '🦊',
      phase: 'archived',
      archived_at: Date.now() - 3 * 86_400_000 - 60_000,
    });
    const html = renderToStaticMarkup(
      <ArchivedPanel agents={[a]} busy={{}} errors={{}} onRestore={noop} onPurge={noop} />,
    );
    expect(tagOf(html, 'archived-row-a1')).toContain('data-slug="helper"');
    expect(textOf(html, 'archived-row-a1')).toContain('🦊');
    expect(textOf(html, 'archived-row-a1')).toContain('Old Fox');
    expect(textOf(html, 'archived-row-a1')).toContain('gpt-test-mini');
    expect(textOf(html, 'archived-when-a1')).toBe('3 days ago');
    expect(textOf(html, 'archived-restore-a1')).toBe('Restore');
    expect(textOf(html, 'archived-purge-a1')).toBe('Purge');
  });

  it('says when nothing is archived, and shows a restore in progress', () => {
    expect(
      textOf(
        renderToStaticMarkup(
          <ArchivedPanel agents={[]} busy={{}} errors={{}} onRestore={noop} onPurge={noop} />,
        ),
        'archived-empty',
      ),
    ).toContain('Nothing archived');
    const a = sampleAgent({ id: 'a2', phase: 'archived', archived_at: Date.now() });
    const html = renderToStaticMarkup(
      <ArchivedPanel agents={[a]} busy={{ a2: 'restore' }} errors={{}} onRestore={noop} onPurge={noop} />,
    );
    expect(textOf(html, 'archived-restore-a2')).toBe('Restoring…');
    expect(tagOf(html, 'archived-purge-a2')).toContain('disabled');
  });
});

describe('ConfirmDialog with type-to-confirm', () => {
  it('keeps the confirm button disabled until the name is typed', () => {
    const html = renderToStaticMarkup(
      <ConfirmDialog
        title="Purge Old Fox for good?"
        confirmLabel="Purge for good"
        danger
        typeToConfirm="Old Fox"
        onConfirm={noop}
        onClose={noop}
        testId="purge-confirm"
      >
        <p>It cannot be undone.</p>
      </ConfirmDialog>,
    );
    expect(tagOf(html, 'purge-confirm-confirm')).toContain('disabled');
    expect(html).toContain('Type <strong class="confirm-dialog__name">Old Fox</strong> to confirm');
    expect(tagOf(html, 'purge-confirm')).toMatch(/^<dialog/);
    expect(tagOf(html, 'purge-confirm')).toContain('aria-labelledby=');
  });
});
