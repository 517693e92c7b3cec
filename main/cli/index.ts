// The `agentdesk` command: serve (headless core) and commands that talk to a running core over HTTP.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { APP_VERSION } from '../app/version';
import { resolveDataDir } from '../platform/paths';
import type { AppOptions } from '../platform/paths';
import readline from 'node:readline/promises';
import { agentsCommand } from './agents';
import type { AgentsIo } from './agents';
import { enginesCommand } from './engines';
import { imagesCommand } from './images';
import { providersCommand } from './providers';
import type { CliIo } from './providers';
import { connectionInfo, DEFAULT_SERVE_PORT, parseListen, serve } from './serve';
import { settingsCommand } from './settings';
import { statusCommand } from './status';
import { parseRemote } from './remote';
import type { RemoteTarget } from './remote';
import { withRemoteClient } from './core-client';
import { formatHealth } from './status';
import { traceCommand } from './trace';
import { tasksCommand } from './tasks';
import { usageCommand } from './usage';

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(
      `"${value}" is not a port: use a whole number from 0 (any free port) to 65535`,
    );
  return n;
}

/** The process's own streams and environment, and the core options `app`. */
export function processIo(app: AppOptions): CliIo {
  return {
    out: process.stdout,
    err: process.stderr,
    env: app.env,
    app,
    setExitCode(code) {
      process.exitCode = code;
    },
    async readStdin() {
      if (process.stdin.isTTY) return null;
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/**
 * Builds the command tree (exported for tests). Actions set the exit code through `io`
 * (`process.exitCode` for {@link processIo}); cores started in this process get `io.app`. Usage
 * errors throw a CommanderError (exitOverride) after commander has printed them.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('agentdesk')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .description('Agent Desk: run a private stack of AI agents on your own machine')
    .version(APP_VERSION)
    .option('--home <dir>', 'data directory (default: AGENTDESK_HOME or the app data dir)')
    .option(
      '--remote <core>',
      'run the command against a core on another machine: ssh://user@host[:port] (an SSH forward) or https://host:port',
    )
    .option(
      '--fingerprint <sha256>',
      'with --remote https://…: the certificate fingerprint the server printed',
    )
    .option(
      '--token-file <file>',
      "with --remote https://…: a file (mode 0600) holding the server's access token",
    )
    .option(
      '--remote-command <cmd>',
      'with --remote ssh://…: how to run agentdesk on the server',
      'agentdesk',
    )
    .option('--remote-home <dir>', "with --remote ssh://…: the server core's data directory")
    .showHelpAfterError();
  type Globals = {
    home?: string;
    remote?: string;
    fingerprint?: string;
    tokenFile?: string;
    remoteCommand?: string;
    remoteHome?: string;
  };
  const remote = (): RemoteTarget | null => {
    const g = program.opts<Globals>();
    return g.remote ? parseRemote(g.remote, g) : null;
  };
  io = { ...io, remote };

  program
    .command('serve')
    .description('start the core without Electron and serve the UI on 127.0.0.1 (or over TLS on any address)')
    .option('--port <n>', `port on 127.0.0.1 (0 = any free port)`, parsePort, DEFAULT_SERVE_PORT)
    .option(
      '--tls',
      'serve HTTPS with a certificate made once for this data dir (its fingerprint is printed)',
    )
    .option(
      '--listen <addr:port>',
      'address to listen on, e.g. 0.0.0.0:47800 (anything but loopback needs --tls)',
    )
    .option(
      '--host-name <name>',
      'another name clients use for this server (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--print-connection', "print the running core's port, token and fingerprint as JSON, and exit")
    .option('--home <dir>', 'data directory')
    .action(
      async (opts: {
        port: number;
        home?: string;
        tls?: boolean;
        listen?: string;
        hostName: string[];
        printConnection?: boolean;
      }) => {
        const home = resolveDataDir(opts.home ?? program.opts<{ home?: string }>().home);
        if (program.opts<Globals>().remote)
          throw new Error(
            '`serve` runs a core on this machine; --remote attaches the other commands to a core elsewhere. Run `agentdesk serve` on the server itself.',
          );
        if (opts.printConnection) {
          io.out.write(connectionInfo(home) + '\n');
          return;
        }
        const listen = opts.listen
          ? parseListen(opts.listen, opts.port)
          : { host: '127.0.0.1', port: opts.port };
        const served = await serve({
          home,
          app: io.app,
          port: listen.port,
          host: listen.host,
          tls: Boolean(opts.tls),
          hostNames: opts.hostName,
        });
        if (served.tls) {
          const listenUrl =
            listen.host === '0.0.0.0' || listen.host === '::'
              ? `https://<this server's address>:${served.http.port}`
              : `https://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${served.http.port}`;
          process.stdout.write(
            `Agent Desk is serving over TLS at ${listenUrl}\n` +
              `certificate fingerprint: ${served.tls.fingerprint}\n` +
              `                         ${served.tls.fingerprintHex}\n` +
              `access token: in ${home}/control.json (only you can read it); \`agentdesk serve --print-connection\` prints it\n` +
              `attach: agentdesk --remote ${listenUrl} --fingerprint ${served.tls.fingerprint} --token-file FILE <command>\n`,
          );
        } else process.stdout.write(`Agent Desk is serving at ${served.openUrl}\n`);
        const stop = (signal: string) => {
          served.core.log.info({ signal }, 'stopping');
          served.stop().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      },
    );

  program
    .command('status')
    .description('print the health of keychain, Docker, Incus, LiteLLM and gateway')
    .option('--json', 'print JSON: {"components":[{"name","state","detail","fix"}]}')
    .option('--home <dir>', 'data directory')
    .action(async (opts: { json?: boolean; home?: string }) => {
      const home = resolveDataDir(opts.home ?? program.opts<{ home?: string }>().home);
      const target = remote();
      if (target) {
        await withRemoteClient(target, home, io.app, async (client, label) => {
          const report = await client.system.health({ refresh: true });
          io.out.write(
            opts.json
              ? JSON.stringify({ components: report.components }) + '\n'
              : `${'core'.padEnd(9)} ${'remote'.padEnd(8)} ${label}\n${formatHealth(report)}\n`,
          );
        });
        return;
      }
      process.exitCode = await statusCommand({ home, json: Boolean(opts.json) });
    });

  program.addCommand(providersCommand(io, () => program.opts<{ home?: string }>().home));
  program.addCommand(imagesCommand(io, () => program.opts<{ home?: string }>().home));
  program.addCommand(agentsCommand(withTerminal(io), () => program.opts<{ home?: string }>().home));
  program.addCommand(traceCommand(io, () => program.opts<{ home?: string }>().home));
  program.addCommand(settingsCommand(io, () => program.opts<{ home?: string }>().home));
  program.addCommand(tasksCommand(io, () => program.opts<{ home?: string }>().home));
  program.addCommand(usageCommand(io, () => program.opts<{ home?: string }>().home));
  program.addCommand(enginesCommand(io, () => program.opts<{ home?: string }>().home));

  return program;
}

/** Adds terminal questions to the CLI's io (for `agents purge` without --yes). */
function withTerminal(io: CliIo): AgentsIo {
  return {
    ...io,
    interactive: () => Boolean(process.stdin.isTTY && process.stdout.isTTY),
    async confirm(question) {
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
      try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
      } finally {
        rl.close();
      }
    },
  };
}

/** First arguments that make the desktop app binary run the CLI instead of opening a window. */
export const CLI_COMMANDS: ReadonlySet<string> = new Set([
  'serve',
  'status',
  'providers',
  'images',
  'agents',
  'trace',
  'settings',
  'tasks',
  'usage',
  'engines',
  '--help',
  '--version',
]);

/** Options of the program that take a value (the next word, or `--opt=value`). */
const GLOBAL_VALUE_OPTIONS: ReadonlySet<string> = new Set([
  '--home',
  '--remote',
  '--fingerprint',
  '--token-file',
  '--remote-command',
  '--remote-home',
]);

/**
 * The command word of `args` (the program's arguments without node/app and script): the first word that
 * is not a global option or its value; `--help`/`--version` count as commands. `undefined` when none.
 */
export function commandOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '--version') return a;
    if (GLOBAL_VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

/**
 * The remote core named by `--remote` (with `--fingerprint`, `--token-file`, `--remote-command`,
 * `--remote-home`) in `args`, for the desktop app attaching to it; `null` when `--remote` is absent.
 * @throws Error from `parseRemote` for a malformed or incomplete target.
 */
export function remoteOf(args: readonly string[]): RemoteTarget | null {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!GLOBAL_VALUE_OPTIONS.has(name)) continue;
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value !== undefined) values.set(name, value);
  }
  const spec = values.get('--remote');
  if (!spec) return null;
  return parseRemote(spec, {
    fingerprint: values.get('--fingerprint'),
    tokenFile: values.get('--token-file'),
    remoteCommand: values.get('--remote-command'),
    remoteHome: values.get('--remote-home'),
  });
}

/**
 * Runs the CLI with `argv` (as process.argv) and the options `app` the entry point resolved. Errors
 * print one line to stderr and exit non-zero.
 */
export async function runCli(argv: string[], app: AppOptions): Promise<void> {
  try {
    await buildProgram(processIo(app)).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed the message already (or help/version, with exit code 0).
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`agentdesk: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
