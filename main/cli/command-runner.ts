// Shared by the CLI's command groups: run an action against the data dir's core, print, map errors to exit codes.
import { Command } from 'commander';
import type { Client } from '../../contract/client';
import { isAppError } from '../../contract/errors';
import { resolveDataDir } from '../platform/paths';
import type { AppOptions } from '../platform/paths';
import { withCoreClient, withRemoteClient } from './core-client';
import type { RemoteTarget } from './remote';
import { NotRunningError } from './http-client';

/** Where the CLI writes and how it sets its exit code (the process by default; buffers in tests). */
export interface RunnerIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
  setExitCode(code: number): void;
  /** The options of a core started in this process when none runs (resolved by the entry point). */
  app: AppOptions;
  /** The remote core the program's `--remote` names, or `null` for this machine's (read when a command runs). */
  remote?: () => RemoteTarget | null;
}

/**
 * An error as one line (AppError messages are one line already; others may carry newlines). The API's
 * "Invalid input for agents.create: " prefix is dropped: the CLI already names its own command, and
 * people type commands, not API methods.
 */
export function oneLine(e: unknown): string {
  const message = isAppError(e) || e instanceof Error ? e.message : String(e);
  return message
    .replace(/\s*\n\s*/g, ' ')
    .replace(/^Invalid input for [a-z]+\.[A-Za-z]+: /, 'invalid input: ')
    .trim();
}

/** The `run` of a command group (see {@link commandRunner}): `run(name, action, json)` is the commander action. */
export type CommandRun = (
  name: string,
  action: (client: Client, json: boolean) => Promise<number | void>,
  json?: boolean,
) => () => Promise<void>;

/**
 * Makes the `run` of a command group: `run(name, action, json)()` runs `action` against the core of
 * the data dir (`--home` of `cmd`, then of the program, AGENTDESK_HOME, the app's), started in-process
 * when none runs — or against the remote core of `io.remote` (the program's `--remote`); the action's number is the exit code (default 0). Errors print
 * `agentdesk <group> <name>: <message>` and exit 1 (2 when a core exists but does not answer).
 */
export function commandRunner(io: RunnerIo, cmd: Command, globalHome: () => string | undefined): CommandRun {
  return (name: string, action: (client: Client, json: boolean) => Promise<number | void>, json = false) =>
    async (): Promise<void> => {
      try {
        const home = resolveDataDir(cmd.opts<{ home?: string }>().home ?? globalHome());
        const code = await withClientOf(io, home, (client) => action(client, json));
        io.setExitCode(code ?? 0);
      } catch (e) {
        io.err.write(`agentdesk ${cmd.name()} ${name}: ${oneLine(e)}\n`);
        io.setExitCode(e instanceof NotRunningError ? 2 : 1);
      }
    };
}

/**
 * Runs `fn` with a client of the core the command means: the remote core of `io.remote` (the program's
 * `--remote`), else the core of `home` (started in-process when none runs).
 * @throws as `withRemoteClient` / `withCoreClient`, and Error for a malformed `--remote`.
 */
export async function withClientOf<T>(
  io: Pick<RunnerIo, 'app' | 'remote'>,
  home: string,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const remote = io.remote?.() ?? null;
  return remote ? withRemoteClient(remote, home, io.app, (c) => fn(c)) : withCoreClient(home, io.app, fn);
}

/** Prints `value` as JSON (`json`) or `text`, with a trailing newline. */
export function printer(io: RunnerIo) {
  return (json: boolean, value: unknown, text: string): void => {
    io.out.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
  };
}

/**
 * A command group `name` (e.g. `agents`) described by `description`: commander errors are thrown
 * (`exitOverride`) instead of exiting, its help and errors go to `io`, and it takes its own
 * `--home <dir>`. Returned with the {@link commandRunner} `run` and the {@link printer} `print` of its
 * subcommands.
 */
export function commandGroup(
  io: RunnerIo,
  name: string,
  description: string,
  globalHome: () => string | undefined,
): { cmd: Command; run: CommandRun; print: ReturnType<typeof printer> } {
  const cmd = new Command(name)
    .description(description)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });
  cmd.option('--home <dir>', 'data directory');
  return { cmd, run: commandRunner(io, cmd, globalHome), print: printer(io) };
}

/**
 * Adds to `cmd` a subcommand `name` without arguments that shows something: `--json` (help: `print
 * <shown.json> as JSON`) prints `get`'s value as JSON, else `format`'s text (exit 0; errors as
 * {@link commandRunner}).
 */
export function showCommand<T>(
  cmd: Command,
  run: CommandRun,
  io: RunnerIo,
  name: string,
  description: string,
  shown: { json: string; get: (client: Client) => Promise<T>; format: (value: T) => string },
): void {
  const print = printer(io);
  cmd
    .command(name)
    .description(description)
    .option('--json', `print ${shown.json} as JSON`)
    .action((o: { json?: boolean }) =>
      run(
        name,
        async (c, json) => {
          const value = await shown.get(c);
          print(json, value, shown.format(value));
        },
        Boolean(o.json),
      )(),
    );
}
