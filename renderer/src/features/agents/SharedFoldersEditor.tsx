// Shared host folders of an agent: the list (path, where the agent sees it, read-only or read-write) with add and remove.
import { useState } from 'react';
import type { ReactElement } from 'react';
import type { FolderGrant } from '../../../../contract/agents';

/** The two access modes of a folder, as the options of a select. */
function ModeOptions(): ReactElement {
  return (
    <>
      <option value="ro">read-only</option>
      <option value="rw">read-write</option>
    </>
  );
}

/** One folder as the editor shows it; `mount` is the core's when the agent has it, else a preview. */
export interface FolderRow {
  path: string;
  mode: 'ro' | 'rw';
  mount?: string;
}

/** Where a new folder will appear (the core decides; collisions get -2, -3 …): `/shared/<base name>`. */
export function previewMount(p: string, taken: readonly string[]): string {
  const base =
    (
      p
        .replace(/[\\/]+$/, '')
        .split(/[\\/]/)
        .pop() ?? ''
    )
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[.-]+/, '')
      .slice(0, 64) || 'folder';
  let mount = `/shared/${base}`;
  for (let n = 2; taken.includes(mount); n++) mount = `/shared/${base}-${n}`;
  return mount;
}

/** Why `p` cannot be added before asking the core (which checks blocked folders), or null. */
export function folderInputProblem(p: string, rows: readonly FolderRow[]): string | null {
  const v = p.trim();
  if (v === '') return 'Type the folder’s full path';
  if (!v.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(v)) return `“${v}” is not a full path (it starts with /)`;
  if (rows.some((r) => r.path === v)) return `${v} is already in the list`;
  return null;
}

/** The rows as `agents.create` / `agents.folders` take them. */
export function toGrants(rows: readonly FolderRow[]): FolderGrant[] {
  return rows.map((r) => ({ path: r.path, mode: r.mode }));
}

/**
 * The folder list with a mode per folder and an add row. Folders are read-only unless switched to
 * read-write; blocked ones (.ssh, .env, keys, the data folder …) are refused by the core, naming the rule.
 */
export function SharedFoldersEditor({
  rows,
  onChange,
  disabled = false,
  idPrefix,
}: {
  rows: readonly FolderRow[];
  onChange: (rows: FolderRow[]) => void;
  disabled?: boolean;
  /** Prefix of element ids and test ids (`create`, `settings`). */
  idPrefix: string;
}): ReactElement {
  const [path, setPath] = useState('');
  const [mode, setMode] = useState<'ro' | 'rw'>('ro');
  const [problem, setProblem] = useState<string | null>(null);
  const mounts = rows.map((r) => r.mount ?? previewMount(r.path, []));
  const add = (): void => {
    const why = folderInputProblem(path, rows);
    setProblem(why);
    if (why) return;
    const clean = path.trim();
    onChange([...rows, { path: clean, mode, mount: previewMount(clean, mounts) }]);
    setPath('');
    setMode('ro');
  };
  return (
    <fieldset className="shared-folders" data-testid={`${idPrefix}-folders`} disabled={disabled}>
      <legend>Shared folders</legend>
      <p className="muted">
        Host folders the agent sees under <code>/shared</code>, read-only unless you allow writing. Folders
        holding keys or secrets (.ssh, .gnupg, .env, *.pem, *.key, keychains) and system or Agent Desk folders
        are refused.
      </p>
      {rows.length ? (
        <ul className="shared-folders__list">
          {rows.map((r, i) => (
            <li key={r.path} data-testid={`${idPrefix}-folder-${i}`}>
              <code title="On this computer">{r.path}</code> → <code title="In the agent">{mounts[i]}</code>
              <select
                aria-label={`Access to ${r.path}`}
                value={r.mode}
                onChange={(e) =>
                  onChange(rows.map((x, j) => (j === i ? { ...x, mode: e.target.value as 'ro' | 'rw' } : x)))
                }
                data-testid={`${idPrefix}-folder-mode-${i}`}
              >
                <ModeOptions />
              </select>
              <button
                type="button"
                className="button button--small"
                onClick={() => onChange(rows.filter((_, j) => j !== i))}
                data-testid={`${idPrefix}-folder-remove-${i}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted" data-testid={`${idPrefix}-folders-empty`}>
          No shared folders.
        </p>
      )}
      <div className="shared-folders__add">
        <input
          id={`${idPrefix}-folder-path`}
          aria-label="Folder path"
          placeholder="/home/you/projects/site"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
          data-testid={`${idPrefix}-folder-path`}
        />
        <select
          aria-label="Access of the new folder"
          value={mode}
          onChange={(e) => setMode(e.target.value as 'ro' | 'rw')}
          data-testid={`${idPrefix}-folder-new-mode`}
        >
          <ModeOptions />
        </select>
        <button
          type="button"
          className="button button--small"
          onClick={add}
          data-testid={`${idPrefix}-folder-add`}
        >
          Add folder
        </button>
      </div>
      {problem ? (
        <p className="inline-error" role="alert" data-testid={`${idPrefix}-folder-problem`}>
          {problem}
        </p>
      ) : null}
    </fieldset>
  );
}
