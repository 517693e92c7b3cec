// The shared-folder editor and settings: folders listed with where the agent sees them and their mode; the changes sent.
// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { render, screen } from '../../test/dom';
import { sampleAgent } from '../../test/fake-client';
import { AgentFoldersDialog, folderChanges } from './AgentFoldersDialog';
import { checkDraft, newDraft } from './create-form';
import { folderInputProblem, previewMount, SharedFoldersEditor } from './SharedFoldersEditor';

describe('SharedFoldersEditor', () => {
  it('lists each folder with its host path, its mount under /shared and its mode', () => {
    render(
      <SharedFoldersEditor
        rows={[
          { path: '/home/me/site', mode: 'rw', mount: '/shared/site' },
          { path: '/home/me/docs', mode: 'ro' },
        ]}
        onChange={() => undefined}
        idPrefix="create"
      />,
    );
    expect(screen.getByTestId('create-folder-0').textContent).toContain('/home/me/site → /shared/site');
    expect(screen.getByTestId('create-folder-1').textContent).toContain('/home/me/docs → /shared/docs');
    expect(screen.getByTestId<HTMLSelectElement>('create-folder-mode-0').value).toBe('rw');
    screen.getByTestId('create-folder-remove-1');
  });

  it('previews mount names as the core makes them, and checks a typed path before sending', () => {
    expect(previewMount('/a/site/', [])).toBe('/shared/site');
    expect(previewMount('/b/site', ['/shared/site'])).toBe('/shared/site-2');
    expect(previewMount('/b/my project', [])).toBe('/shared/my-project');
    expect(folderInputProblem('relative/dir', [])).toMatch(/not a full path/);
    expect(folderInputProblem('/x', [{ path: '/x', mode: 'ro' }])).toMatch(/already in the list/);
    expect(folderInputProblem('/x', [])).toBeNull();
  });

  it('the create form sends the folders with their modes', () => {
    const draft = {
      ...newDraft('builtin', 'scripted/m'),
      name: 'A',
      folders: [{ path: '/p', mode: 'rw' as const }],
    };
    const { input } = checkDraft(draft, { agents: [], harnessEmoji: '🤖', typedEmojiValid: true });
    expect(input?.folders).toEqual([{ path: '/p', mode: 'rw' }]);
  });
});

describe('AgentFoldersDialog', () => {
  it('shows the agent’s folders and says a running agent restarts', () => {
    const agent = sampleAgent({ folders: [{ path: '/home/me/site', mode: 'ro', mount: '/shared/site' }] });
    render(<AgentFoldersDialog agent={agent} onClose={() => undefined} />);
    screen.getByText('Saving restarts the agent with the new folders.', { exact: false });
    expect(screen.getByTestId('settings-folder-0').textContent).toContain('/home/me/site → /shared/site');
  });

  it('sends new folders, changed modes and removed paths only', () => {
    const before = [
      { path: '/a', mode: 'ro' as const, mount: '/shared/a' },
      { path: '/b', mode: 'ro' as const, mount: '/shared/b' },
    ];
    const after = [
      { path: '/a', mode: 'rw' as const },
      { path: '/c', mode: 'ro' as const },
    ];
    expect(folderChanges(before, after)).toEqual({ add: after, remove: ['/b'] });
    expect(folderChanges(before, before)).toEqual({ add: [], remove: [] });
  });
});
