// `agentdesk agents create --folder PATH[:ro|rw]` and `agentdesk agents folders AGENT --add … --remove …`: shared host folders.
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Agent, FolderGrant } from '../../contract/agents';
import type { Client } from '../../contract/client';
import type { CommandRun } from './command-runner';

/**
 * Parses `PATH[:ro|rw]` (default `ro`; a `:ro`/`:rw` suffix is the mode, any other colon belongs to the
 * path); a relative path is made absolute against the current folder.
 * @throws InvalidArgumentError for an empty path.
 */
export function parseFolderArg(value: string): { path: string; mode: 'ro' | 'rw' } {
  const m = /^(.*):(ro|rw)$/.exec(value);
  const p = m ? m[1]! : value;
  if (!p.trim()) throw new InvalidArgumentError(`"${value}" is not PATH[:ro|rw] (e.g. ~/projects/site:rw)`);
  return { path: path.resolve(p), mode: (m?.[2] as 'ro' | 'rw' | undefined) ?? 'ro' };
}

/** Commander collector for a repeatable `--folder`/`--add`. */
export function collectFolder(value: string, previous: FolderGrant[] = []): FolderGrant[] {
  return [...previous, parseFolderArg(value)];
}

/** Commander collector for a repeatable `--remove PATH` (made absolute). */
export function collectPath(value: string, previous: string[] = []): string[] {
  return [...previous, path.resolve(value)];
}

/** One line per shared folder: `/shared/site  rw  /home/me/site`. */
export function formatFolders(a: Agent): string {
  if (a.folders.length === 0) return `${a.emoji} ${a.name} has no shared folders.`;
  return a.folders.map((f) => `${f.mount}  ${f.mode}  ${f.path}`).join('\n');
}

/** What {@link addFoldersCommand} needs from the agents command. */
export interface FoldersCommandDeps {
  run: CommandRun;
  print: (json: boolean, value: unknown, text: string) => void;
  findAgent: (c: Client, ref: string) => Promise<Agent>;
  settle: (c: Client, id: string) => Promise<Agent>;
}

/** Adds `agents folders AGENT [--add PATH[:ro|rw]]… [--remove PATH]…` (without options: lists them). */
export function addFoldersCommand(cmd: Command, d: FoldersCommandDeps): void {
  cmd
    .command('folders')
    .description(
      'list, add or remove the host folders an agent sees under /shared (a running agent restarts)',
    )
    .argument('<agent>', 'id, slug or name')
    .option('--add <path[:ro|rw]>', 'share a folder (read-only unless :rw); repeatable', collectFolder)
    .option('--remove <path>', 'stop sharing a folder; repeatable', collectPath)
    .option('--json', 'print JSON')
    .action((ref: string, o: { add?: FolderGrant[]; remove?: string[]; json?: boolean }) =>
      d.run(
        'folders',
        async (c, json) => {
          const a = await d.findAgent(c, ref);
          if (!o.add?.length && !o.remove?.length) return d.print(json, a.folders, formatFolders(a));
          await c.agents.folders({ id: a.id, add: o.add ?? [], remove: o.remove ?? [] });
          const after = await d.settle(c, a.id);
          d.print(json, after, formatFolders(after));
          return after.phase === 'failed' ? 1 : 0;
        },
        Boolean(o.json),
      )(),
    );
}
