// Component tests of the Archived panel and the purge confirmation, in a DOM.
// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { absoluteTime, fullTime } from '../../app/time';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { render, screen, within } from '../../test/dom';
import { sampleAgent } from '../../test/fake-client';
import { ArchivedPanel } from './ArchivedPanel';

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
    render(<ArchivedPanel agents={[a]} busy={{}} errors={{}} onRestore={noop} onPurge={noop} />);
    const row = screen.getByTestId('archived-row-a1');
    expect(row.getAttribute('data-slug')).toBe('helper');
    expect(row.textContent).toContain('🦊');
    expect(row.textContent).toContain('Old Fox');
    expect(row.textContent).toContain('gpt-test-mini');
    // Past a day the time reads as a date ("4 Dec 14:57"), in full in its tooltip.
    const when = screen.getByTestId('archived-when-a1');
    expect(when.textContent).toBe(absoluteTime(a.archived_at!));
    expect(when.textContent).toMatch(/^\d{1,2} [A-Z][a-z]{2}( \d{4})? \d{2}:\d{2}$/);
    expect(when.getAttribute('title')).toBe(fullTime(a.archived_at!));
    expect(within(row).getByRole('button', { name: /Restore/ })).toBe(
      screen.getByTestId('archived-restore-a1'),
    );
    expect(screen.getByTestId('archived-restore-a1').textContent).toBe('Restore');
    expect(screen.getByTestId('archived-purge-a1').textContent).toBe('Purge');
  });

  it('says when nothing is archived, and shows a restore in progress', () => {
    const empty = render(<ArchivedPanel agents={[]} busy={{}} errors={{}} onRestore={noop} onPurge={noop} />);
    expect(screen.getByTestId('archived-empty').textContent).toContain('Nothing archived');
    empty.unmount();
    const a = sampleAgent({ id: 'a2', phase: 'archived', archived_at: Date.now() });
    render(
      <ArchivedPanel agents={[a]} busy={{ a2: 'restore' }} errors={{}} onRestore={noop} onPurge={noop} />,
    );
    expect(screen.getByTestId('archived-restore-a2').textContent).toBe('Restoring…');
    expect(screen.getByTestId<HTMLButtonElement>('archived-purge-a2').disabled).toBe(true);
  });
});

describe('ConfirmDialog with type-to-confirm', () => {
  it('keeps the confirm button disabled until the name is typed', () => {
    render(
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
    expect(screen.getByTestId<HTMLButtonElement>('purge-confirm-confirm').disabled).toBe(true);
    const name = screen.getByText('Old Fox');
    expect(name.tagName).toBe('STRONG');
    expect(name.className).toBe('confirm-dialog__name');
    expect(name.parentElement?.textContent).toContain('Type Old Fox to confirm');
    const dialog = screen.getByTestId('purge-confirm');
    expect(dialog.tagName).toBe('DIALOG');
    expect(dialog.getAttribute('aria-labelledby')).toBeTruthy();
  });
});
