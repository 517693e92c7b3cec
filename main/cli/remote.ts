// Attaching to a core on another machine: through an SSH local forward this process opens, or over TLS with a pinned certificate.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { checkDestination, classifySshFailure, sshCloseMaster, sshExec, sshForward } from '../platform/ssh';
import type { SshSettings } from '../platform/ssh';
import { SpawnError } from '../platform/spawn';
import type { SshDestination } from '../services/runtimes/engine-target';
import { parseFingerprint } from '../transport/http/tls-identity';
import type { CoreEndpoint } from './core-endpoint';

/**
 * Where a remote core is:
 * - `ssh`: `agentdesk serve` runs on `destination` (on 127.0.0.1 there); its port and token are read by
 *   running `<command> [--home <home>] serve --print-connection` over SSH, and a local forward reaches it.
 * - `tls`: `agentdesk serve --tls --listen …` at `url`, its certificate pinned by `fingerprint`, the
 *   access token read from `tokenFile` (a file only its owner can read).
 */
export type RemoteTarget =
  | { kind: 'ssh'; destination: SshDestination; command: string[]; home: string | null }
  | { kind: 'tls'; url: string; fingerprint: string; tokenFile: string };

/** Options that come with `--remote` on the command line (or the desktop's settings). */
export interface RemoteOptions {
  /** `--fingerprint SHA256:…` (https targets). */
  fingerprint?: string;
  /** `--token-file F` (https targets). */
  tokenFile?: string;
  /** `--remote-command "agentdesk"`: how to run agentdesk on the server (words split on spaces). */
  remoteCommand?: string;
  /** `--remote-home DIR`: the server core's data dir, when not its default. */
  remoteHome?: string;
}

/**
 * Reads `--remote`: `ssh://user@host[:port]` or `https://host:port` (with `fingerprint` and `tokenFile`).
 * @throws Error naming the accepted forms and what is missing; SshDestinationError for a user or host
 *   that could be read as an ssh option.
 */
export function parseRemote(spec: string, opts: RemoteOptions = {}): RemoteTarget {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new Error(
      `"${spec}" is not a remote core: give ssh://user@host[:port] or https://host:port (with --fingerprint and --token-file)`,
    );
  }
  if (u.protocol === 'ssh:') {
    if (!u.username || !u.hostname || (u.pathname && u.pathname !== '/') || u.search || u.hash)
      throw new Error(`"${spec}" is not an SSH destination: give ssh://user@host or ssh://user@host:port`);
    const command = (opts.remoteCommand ?? 'agentdesk').split(' ').filter(Boolean);
    if (command.length === 0) throw new Error('--remote-command is empty');
    const destination: SshDestination = {
      user: decodeURIComponent(u.username),
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : 22,
    };
    checkDestination(destination);
    return {
      kind: 'ssh',
      destination,
      command,
      home: opts.remoteHome ?? null,
    };
  }
  if (u.protocol === 'https:') {
    if (!opts.fingerprint)
      throw new Error(
        `--remote ${spec} needs --fingerprint SHA256:… (printed by \`agentdesk serve --tls\` on the server): its certificate is its own, no CA vouches for it`,
      );
    parseFingerprint(opts.fingerprint);
    if (!opts.tokenFile)
      throw new Error(
        `--remote ${spec} needs --token-file FILE holding the server's access token (\`agentdesk serve --print-connection\` on the server prints it); a token is never taken as an argument`,
      );
    return {
      kind: 'tls',
      url: `https://${u.host}`,
      fingerprint: opts.fingerprint,
      tokenFile: opts.tokenFile,
    };
  }
  if (u.protocol === 'http:')
    throw new Error(
      `--remote ${spec}: plain HTTP to another machine would carry the access token in clear; use ssh://user@host or https:// with --fingerprint`,
    );
  throw new Error(`"${spec}" is not a remote core: give ssh://user@host[:port] or https://host:port`);
}

/** What a core prints for `serve --print-connection`. */
const ConnectionInfo = z.object({
  version: z.literal(1),
  port: z.number().int().min(1).max(65535),
  url: z.string(),
  token: z.string().min(32),
  fingerprint: z.string().optional(),
});

/**
 * The server answered over SSH but its core is not serving (not started, or stopped): attaching again
 * later may work. Other failures (host key, authentication, agentdesk not installed) are not this.
 */
export class RemoteCoreDownError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteCoreDownError';
  }
}

/** The label of `target` in the UI and messages: `user@host[:port]` (SSH, port when not 22) or `host:port` (TLS). */
export function remoteLabel(target: RemoteTarget): string {
  if (target.kind === 'tls') return new URL(target.url).host;
  const dest = target.destination;
  return `${dest.user}@${dest.host}${dest.port === 22 ? '' : `:${dest.port}`}`;
}

/** An attached remote core: its endpoint, a label for the UI, and how to let go of it. */
export interface RemoteCore {
  endpoint: CoreEndpoint;
  /** Shown in the UI and messages: `user@host` (SSH) or `host:port` (TLS). */
  label: string;
  /** Ends the forward and the shared SSH connection, removes the socket folder. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Reads a token file, refusing one others can read (like ssh with a private key).
 * @throws Error naming `chmod 600` or the read error.
 */
export function readTokenFile(file: string): string {
  const st = fs.statSync(file);
  if (st.mode & 0o077)
    throw new Error(
      `${file} can be read by other users (mode 0${(st.mode & 0o777).toString(8)}): run \`chmod 600 ${file}\``,
    );
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token.length < 32) throw new Error(`${file} does not hold an access token`);
  return token;
}

/**
 * Attaches to `target`. For `ssh`: runs `serve --print-connection` on the server over SSH (the token comes
 * back inside the SSH channel, never on a command line), then opens `ssh -N -L <socket>:127.0.0.1:<port>`
 * with the socket in a new 0700 folder under the system temp folder, and waits until it answers.
 * @param ssh how to run ssh (`dataDir`: this machine's data dir, for the shared connection).
 * @throws SshError (host key changed/unknown, auth, unreachable); RemoteCoreDownError when the remote
 *   core is not running (with the server's own message) or prints no connection; Error when agentdesk is
 *   not found there; Error for an unreadable token file.
 */
export async function attachRemote(target: RemoteTarget, ssh: SshSettings): Promise<RemoteCore> {
  if (target.kind === 'tls') {
    return {
      endpoint: { url: target.url, token: readTokenFile(target.tokenFile), fingerprint: target.fingerprint },
      label: remoteLabel(target),
      close: async () => {},
    };
  }
  const dest = target.destination;
  const argv = [
    ...target.command,
    ...(target.home ? ['--home', target.home] : []),
    'serve',
    '--print-connection',
  ];
  let stdout: string;
  try {
    ({ stdout } = await sshExec(ssh, dest, argv, { timeoutMs: 30_000 }));
  } catch (err) {
    await sshCloseMaster(ssh, dest);
    if (!(err instanceof SpawnError)) throw err;
    const said =
      err.stderr
        .trim()
        .split('\n')
        .at(-1)
        ?.replace(/^agentdesk:\s*/, '') ?? '';
    if (err.exitCode === 127)
      throw new Error(
        `\`${target.command[0]}\` is not found on ${dest.user}@${dest.host}: install Agent Desk there, or say how to run it with --remote-command`,
      );
    throw new RemoteCoreDownError(
      `${dest.user}@${dest.host}: ${said || `\`${argv.join(' ')}\` exited with code ${String(err.exitCode)}`}`,
    );
  }
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let info: z.infer<typeof ConnectionInfo>;
  try {
    info = ConnectionInfo.parse(JSON.parse(line));
  } catch {
    throw new RemoteCoreDownError(
      `${dest.user}@${dest.host} printed no connection for \`${argv.join(' ')}\`: is \`agentdesk serve\` running there?`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-remote-'));
  fs.chmodSync(dir, 0o700);
  const socketPath = path.join(dir, 'core.sock');
  const forward = sshForward(ssh, dest, { kind: 'local', localSocket: socketPath, remotePort: info.port });
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await forward.stop();
      await sshCloseMaster(ssh, dest);
      fs.rmSync(dir, { recursive: true, force: true });
    })());
  try {
    await forward.ready();
  } catch (err) {
    await close();
    // The forward's own ssh (not the shared connection) checks the host key again: say what it found.
    throw await classifySshFailure(ssh, dest, (err as Error).message);
  }
  return {
    endpoint: {
      url: `${info.fingerprint ? 'https' : 'http'}://127.0.0.1:${info.port}`,
      token: info.token,
      socketPath,
      fingerprint: info.fingerprint,
    },
    label: remoteLabel(target),
    close,
  };
}
