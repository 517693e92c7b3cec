// `agentdesk settings get|set|unset`: settings that choose what the core runs are changed here, on the data dir, while no core runs.
import path from 'node:path';
import type { Command } from 'commander';
import { LOCAL_ONLY_SETTINGS } from '../api/settings';
import { acquireCoreLock, CoreLockedError } from '../app/core-lock';
import { ensurePrivateDataDir } from '../platform/data-dir';
import { dataPaths, resolveDataDir } from '../platform/paths';
import { SettingsStore } from '../services/settings/settings-store';
import { openDatabase } from '../services/storage/database';
import { commandGroup, oneLine } from './command-runner';
import type { RunnerIo } from './command-runner';

type LocalOnly = (typeof LOCAL_ONLY_SETTINGS)[number];

/**
 * Changes local-only settings ({@link LOCAL_ONLY_SETTINGS}) in the data dir's database. Holds the data
 * dir's core lock for the whole edit, so no core can start meanwhile and none is running: a running
 * core would keep its own copy of the settings (and the HTTP API may not change these fields).
 * @param value the new value; `null` clears it (the app's own LiteLLM is used again).
 * @returns the value stored.
 * @throws Error naming the running core's pid and the two ways out when a core holds the data dir;
 *   DataDirNotPrivateError; AppError INVALID_INPUT when the program is not safe to run (reason and fix).
 */
export function setLocalSetting(
  home: string,
  field: LocalOnly,
  value: string | number | null,
): string | number | null {
  ensurePrivateDataDir(home);
  let release: () => void;
  try {
    release = acquireCoreLock(home);
  } catch (err) {
    if (err instanceof CoreLockedError)
      throw new Error(
        `a core is running for ${home} (pid ${err.pid}); ${field} can only be changed while none runs. Stop it (quit the app or stop \`agentdesk serve\`) and run this again, or change it in the desktop app's Settings.`,
      );
    throw err;
  }
  try {
    const db = openDatabase(dataPaths.db(home));
    try {
      const store = new SettingsStore(db);
      store.load();
      return store.update({ [field]: value })[field];
    } finally {
      db.close();
    }
  } finally {
    release();
  }
}

/**
 * Builds the `settings` command tree: `get [NAME] [--json]` (from the running core, or one started for
 * the command), `set litellm_command PATH` and `unset litellm_command` (on the data dir, refused while
 * a core runs). Other settings are changed in the app or with `settings.update` over the API.
 * @param globalHome the program-level `--home`, read when an action runs.
 */
export function settingsCommand(io: RunnerIo, globalHome: () => string | undefined): Command {
  const { cmd, run, print } = commandGroup(
    io,
    'settings',
    'show settings; set the ones that choose what the core runs (while no core runs)',
    globalHome,
  );
  const home = () => resolveDataDir(cmd.opts<{ home?: string }>().home ?? globalHome());

  cmd
    .command('get')
    .description('print the settings (or one of them)')
    .argument('[name]', 'one setting')
    .option('--json', 'print JSON')
    .action((name: string | undefined, o: { json?: boolean }) =>
      run(
        'get',
        async (c, json) => {
          const all = (await c.settings.get({})) as Record<string, unknown>;
          if (name !== undefined && !(name in all)) {
            io.err.write(
              `agentdesk settings get: no setting "${name}". Valid: ${Object.keys(all).join(', ')}\n`,
            );
            return 1;
          }
          const value = name === undefined ? all : all[name];
          const text =
            name === undefined
              ? Object.entries(all)
                  .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
                  .join('\n')
              : JSON.stringify(value);
          print(json, value, text);
        },
        Boolean(o.json),
      )(),
    );

  const change = (verb: 'set' | 'unset', name: string, value: string | null): void => {
    try {
      if (!(LOCAL_ONLY_SETTINGS as readonly string[]).includes(name)) {
        io.err.write(
          `agentdesk settings ${verb}: "${name}" is not changed here. This command changes ${LOCAL_ONLY_SETTINGS.join(', ')}; other settings are changed on the app's Settings page.\n`,
        );
        io.setExitCode(1);
        return;
      }
      if (io.remote?.())
        throw new Error(
          `${name} is changed only on the machine of the core (it edits that data dir's database): run \`agentdesk settings ${verb} ${name}\` on the server itself`,
        );
      const dir = home();
      const field = name as LocalOnly;
      // webhook_listen and webhook_port go back to their defaults when unset (this machine only; a free port).
      const given =
        field === 'litellm_command'
          ? value === null
            ? null
            : path.resolve(value)
          : field === 'webhook_port'
            ? value === null
              ? 0
              : Number(value)
            : (value ?? '127.0.0.1');
      const stored = setLocalSetting(dir, field, given);
      io.out.write(
        stored === null
          ? `${name} cleared: the core uses its own LiteLLM (takes effect when the core starts).\n`
          : `${name} set to ${String(stored)} (takes effect when the core starts).\n`,
      );
      io.setExitCode(0);
    } catch (e) {
      io.err.write(`agentdesk settings ${verb}: ${oneLine(e)}\n`);
      io.setExitCode(1);
    }
  };

  cmd
    .command('set')
    .description(
      'set litellm_command to PATH, webhook_listen to an address, or webhook_port (refused while a core runs for the data dir)',
    )
    .argument('<name>', `one of: ${LOCAL_ONLY_SETTINGS.join(', ')}`)
    .argument(
      '<value>',
      'the path of the program (owned by you or root, writable by no one else), or the address / port',
    )
    .action((name: string, value: string) => change('set', name, value));

  cmd
    .command('unset')
    .description('clear litellm_command: use the app’s own LiteLLM (refused while a core runs)')
    .argument('<name>', `one of: ${LOCAL_ONLY_SETTINGS.join(', ')}`)
    .action((name: string) => change('unset', name, null));

  return cmd;
}
