// An agent's shared-folder settings: its folders with mount paths and modes; Save recreates a running agent with them.
import { useState } from 'react';
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import { Dialog, DialogActions } from '../../components/Dialog';
import { agentsStore } from '../../stores/agents';
import type { ShownError } from '../../stores/errors';
import { SharedFoldersEditor, toGrants } from './SharedFoldersEditor';
import type { FolderRow } from './SharedFoldersEditor';

/** The changes from `before` to `after`: folders to add (new, or with another mode) and paths to remove. */
export function folderChanges(
  before: readonly FolderRow[],
  after: readonly FolderRow[],
): { add: FolderRow[]; remove: string[] } {
  const add = after.filter((a) => !before.some((b) => b.path === a.path && b.mode === a.mode));
  const remove = before.filter((b) => !after.some((a) => a.path === b.path)).map((b) => b.path);
  return { add, remove };
}

/** Edits `agent`'s shared folders; a running agent restarts (its progress shows on its row). */
export function AgentFoldersDialog({ agent, onClose }: { agent: Agent; onClose: () => void }): ReactElement {
  const [rows, setRows] = useState<FolderRow[]>(() => agent.folders.map((f) => ({ ...f })));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const { add, remove } = folderChanges(agent.folders, rows);
  const changed = add.length > 0 || remove.length > 0;
  const save = async (): Promise<void> => {
    setBusy(true);
    const problem = await agentsStore.getState().setFolders(agent.id, toGrants(add), remove);
    setBusy(false);
    setError(problem);
    if (!problem) onClose();
  };
  return (
    <Dialog
      title={
        <>
          <span aria-hidden="true">{agent.emoji}</span> Folders of {agent.name}
        </>
      }
      description={
        agent.phase === 'running'
          ? 'Saving restarts the agent with the new folders.'
          : 'The agent gets the new folders when it starts.'
      }
      onClose={onClose}
      wide
      testId="agent-folders-dialog"
      footer={
        <DialogActions
          onCancel={onClose}
          cancelDisabled={busy}
          onAction={() => void save()}
          label="Save"
          busy={busy}
          disabled={busy || !changed}
          testId="agent-folders-save"
        />
      }
    >
      <SharedFoldersEditor rows={rows} onChange={setRows} disabled={busy} idPrefix="settings" />
      {error ? (
        <p className="inline-error" role="alert" data-testid="agent-folders-error">
          <code>{error.code}</code> {error.message}
        </p>
      ) : null}
    </Dialog>
  );
}
