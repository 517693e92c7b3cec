// The one module that runs the system OpenSSH client (`ssh`): commands, byte streams and supervised forwards.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { run, SpawnError } from './spawn';
import { SupervisedProcess, type SpawnPlan, type SupervisorStatus } from './supervised-process';
import type { SshDestination } from '../services/runtimes/engine-target';

/**
 * How this core runs `ssh`. Always the system client: the user's ~/.ssh/config (or `configFile`), agent
 * and known_hosts decide keys and trust; nothing here stores a key.
 */
export interface SshSettings {
  /** The core's data dir: ControlMaster sockets go to `<dataDir>/ssh/` (made with mode 0700). */
  dataDir: string;
  /** `-F <file>` when set (the AgentDesk option `sshConfigFile`, `AGENTDESK_SSH_CONFIG`); `null`: ssh's own. */
  configFile: string | null;
  /** Environment of the ssh child (HOME, PATH, SSH_AUTH_SOCK …): the core's options' `env`. */
  env: Readonly<NodeJS.ProcessEnv>;
  /** The `ssh` executable (default `ssh`, looked up on `env.PATH`). */
  command?: string;
  /** Seconds a ControlMaster stays after its last session (default 120). */
  controlPersistSec?: number;
  /** `ConnectTimeout` in seconds (default 5). */
  connectTimeoutSec?: number;
}

/** What went wrong reaching an SSH destination. */
export type SshFailure =
  | 'destination'
  | 'host-key-changed'
  | 'host-key-unknown'
  | 'auth'
  | 'unreachable'
  | 'remote-command'
  | 'failed';

/** ssh could not run a command on a destination. `hint` says what the user can do; `detail` is ssh's stderr tail. */
export class SshError extends Error {
  readonly failure: SshFailure;
  /** `user@host:port`. */
  readonly destination: string;
  readonly hint: string;
  readonly detail: string;

  constructor(failure: SshFailure, destination: string, message: string, hint: string, detail = '') {
    super(message);
    this.name = 'SshError';
    this.failure = failure;
    this.destination = destination;
    this.hint = hint;
    this.detail = detail;
  }
}

/** The destination could be read as an ssh option or carries characters no host, user or port has. */
export class SshDestinationError extends SshError {
  constructor(destination: string, why: string) {
    super(
      'destination',
      destination,
      `Refusing SSH destination ${JSON.stringify(destination)}: ${why}`,
      'Use a plain user name, host name or address, and a port from 1 to 65535',
    );
    this.name = 'SshDestinationError';
  }
}

/** The host presented a key other than the one known_hosts holds for it. Never trusted automatically. */
export class SshHostKeyChangedError extends SshError {
  /** The fingerprint ssh printed for the key the host sent now, e.g. `SHA256:…` (empty when ssh printed none). */
  readonly fingerprint: string;
  constructor(destination: string, fingerprint: string, detail: string) {
    super(
      'host-key-changed',
      destination,
      `The host key of ${destination} has changed (it now sends ${fingerprint || 'an unknown key'}); refusing to connect`,
      `If the host was really re-keyed, check ${fingerprint || 'the new fingerprint'} with its administrator, then remove the old key (ssh-keygen -R ${destination.split('@').pop()}) and trust the new one`,
      detail,
    );
    this.name = 'SshHostKeyChangedError';
    this.fingerprint = fingerprint;
  }
}

/** known_hosts has no key for the host, and StrictHostKeyChecking is on. */
export class SshHostKeyUnknownError extends SshError {
  /** Fingerprints of the keys the host offers (`ssh-keyscan` + `ssh-keygen -lf`), e.g. `SHA256:… (ED25519)`; may be empty. */
  readonly fingerprints: string[];
  constructor(destination: string, fingerprints: string[], trustCommand: string, detail: string) {
    super(
      'host-key-unknown',
      destination,
      `The host key of ${destination} is not known${fingerprints.length ? ` (it offers ${fingerprints.join(', ')})` : ''}; refusing to connect`,
      `Check the fingerprint with the host's administrator, then trust it: run \`${trustCommand}\` in a terminal and answer yes`,
      detail,
    );
    this.name = 'SshHostKeyUnknownError';
    this.fingerprints = fingerprints;
  }
}

/** The server refused every key offered (or needs a password: BatchMode forbids asking). */
export class SshAuthError extends SshError {
  constructor(destination: string, detail: string) {
    super(
      'auth',
      destination,
      `SSH login to ${destination} was refused`,
      'Load a key the server accepts into your SSH agent (ssh-add), or name it with IdentityFile in ~/.ssh/config; password logins cannot be used',
      detail,
    );
    this.name = 'SshAuthError';
  }
}

/** No SSH connection could be made: name not resolved, refused, no route, timed out. */
export class SshUnreachableError extends SshError {
  constructor(destination: string, detail: string) {
    super(
      'unreachable',
      destination,
      `Cannot reach ${destination} over SSH: ${lastLine(detail) || 'no answer'}`,
      'Check that the host is up, its SSH server runs, and the name and port are right',
      detail,
    );
    this.name = 'SshUnreachableError';
  }
}

/** The SSH login worked, but the remote command of a stream exited non-zero (e.g. `docker` missing: 127). */
export class SshRemoteCommandError extends SshError {
  /** The remote command's exit code. */
  readonly exitCode: number;
  constructor(destination: string, argv: readonly string[], exitCode: number, detail: string) {
    super(
      'remote-command',
      destination,
      `\`${argv.join(' ')}\` on ${destination} exited with code ${exitCode}${lastLine(detail) ? `: ${lastLine(detail)}` : ''}`,
      exitCode === 127
        ? `Install the command on ${destination} (it is not on the remote user's PATH)`
        : 'See the remote error above',
      detail,
    );
    this.name = 'SshRemoteCommandError';
    this.exitCode = exitCode;
  }
}

/** `user@host:port` for messages. */
export function describeDestination(dest: SshDestination): string {
  return `${dest.user}@${dest.host}:${dest.port}`;
}

const USER_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
const HOST_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+$/;

/**
 * Refuses a destination that could be read as an ssh option or smuggle one in: a user or host starting
 * with `-`, holding whitespace, newlines, `@`, `%`, `/`, quotes or other characters no user or host
 * name has, and ports outside 1–65535.
 * @throws SshDestinationError naming the field.
 */
export function checkDestination(dest: SshDestination): void {
  const shown = `${String(dest.user)}@${String(dest.host)}:${String(dest.port)}`;
  if (typeof dest.user !== 'string' || !USER_RE.test(dest.user))
    throw new SshDestinationError(
      shown,
      'the user name must be letters, digits, `.`, `_` or `-`, not starting with `-`',
    );
  const host = String(dest.host);
  const ipv6 = host.includes(':') && IPV6_RE.test(host);
  if (typeof dest.host !== 'string' || !(HOST_RE.test(host) || ipv6))
    throw new SshDestinationError(
      shown,
      'the host must be a host name or an IP address, not starting with `-`',
    );
  if (!Number.isInteger(dest.port) || dest.port < 1 || dest.port > 65535)
    throw new SshDestinationError(shown, 'the port must be a whole number from 1 to 65535');
}

/** The folder of the ControlMaster sockets, `<dataDir>/ssh`, made (and kept) at mode 0700. */
export function controlDir(settings: Pick<SshSettings, 'dataDir'>): string {
  const dir = path.join(settings.dataDir, 'ssh');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  return dir;
}

/** Quotes one word for the remote user's POSIX shell (ssh hands the command line to it). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./=:,+@%-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Options of {@link sshArgs}. */
export interface SshArgsOptions {
  /** Share one connection per destination (ControlMaster auto, ControlPersist). Default true. */
  multiplex?: boolean;
  /** Extra ssh options placed before the destination, e.g. `['-N', '-R', …]`. */
  extra?: string[];
}

/**
 * The argument list of `ssh` for `argv` on `dest`: `-F` when configured, BatchMode, strict host key
 * checking, ConnectTimeout, keep-alives, connection sharing, then `-p port -l user -- host` and the
 * remote command (each word quoted for the remote shell). Validates the destination first.
 * @throws SshDestinationError for a destination that could inject options.
 */
export function sshArgs(
  settings: SshSettings,
  dest: SshDestination,
  argv: readonly string[],
  opts: SshArgsOptions = {},
): string[] {
  checkDestination(dest);
  const o = (kv: string) => ['-o', kv];
  const multiplex = opts.multiplex ?? true;
  return [
    ...(settings.configFile ? ['-F', settings.configFile] : []),
    ...o('BatchMode=yes'),
    ...o('StrictHostKeyChecking=yes'),
    ...o(`ConnectTimeout=${settings.connectTimeoutSec ?? 5}`),
    ...o('ServerAliveInterval=5'),
    ...o('ServerAliveCountMax=3'),
    ...(multiplex
      ? [
          ...o('ControlMaster=auto'),
          ...o(`ControlPath=${path.join(controlDir(settings), '%C')}`),
          ...o(`ControlPersist=${settings.controlPersistSec ?? 120}`),
        ]
      : [...o('ControlMaster=no'), ...o('ControlPath=none')]),
    ...(opts.extra ?? []),
    '-p',
    String(dest.port),
    '-l',
    dest.user,
    '--',
    dest.host,
    ...argv.map(shellQuote),
  ];
}

/**
 * Turns ssh's stderr after exit code 255 into a typed error (changed or unknown host key, refused
 * login, unreachable), else a generic {@link SshError}. Unknown hosts get the fingerprints the host
 * offers, looked up with `ssh-keyscan`.
 */
export async function classifySshFailure(
  settings: SshSettings,
  dest: SshDestination,
  stderr: string,
): Promise<SshError> {
  const shown = describeDestination(dest);
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) {
    const fp = /(SHA256:[A-Za-z0-9+/=]+|MD5:[0-9a-f:]+)/.exec(stderr)?.[1] ?? '';
    return new SshHostKeyChangedError(shown, fp, stderr);
  }
  if (/No .* host key is known for|Host key verification failed/i.test(stderr)) {
    const fps = await hostKeyFingerprints(settings, dest).catch(() => []);
    const trust = `ssh ${settings.configFile ? `-F ${settings.configFile} ` : ''}-p ${dest.port} ${dest.user}@${dest.host} true`;
    return new SshHostKeyUnknownError(shown, fps, trust, stderr);
  }
  if (/Permission denied|Too many authentication failures|no more authentication methods/i.test(stderr))
    return new SshAuthError(shown, stderr);
  if (
    /Connection refused|No route to host|timed out|Could not resolve hostname|Network is unreachable|Connection closed by|Connection reset|kex_exchange_identification|Name or service not known/i.test(
      stderr,
    )
  )
    return new SshUnreachableError(shown, stderr);
  return new SshError(
    'failed',
    shown,
    `ssh to ${shown} failed: ${lastLine(stderr) || 'exit code 255'}`,
    'See the SSH error above',
    stderr,
  );
}

/**
 * Fingerprints of the host keys `dest` offers, as `SHA256:… (ED25519)`: `ssh-keyscan -p port host`
 * piped into `ssh-keygen -lf -`. Not a trust decision: shown to the user to check.
 * @throws SpawnError when the host cannot be scanned.
 */
export async function hostKeyFingerprints(settings: SshSettings, dest: SshDestination): Promise<string[]> {
  checkDestination(dest);
  const env = { ...settings.env };
  const scan = await run('ssh-keyscan', ['-T', '5', '-p', String(dest.port), '--', dest.host], {
    env,
    timeoutMs: 10_000,
  });
  if (!scan.stdout.trim()) return [];
  const listed = await run('ssh-keygen', ['-lf', '-'], { env, input: scan.stdout, timeoutMs: 10_000 });
  return listed.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w.length >= 2 && w[1])
    .map((w) => `${w[1]} ${w.at(-1)}`);
}

/**
 * Runs `argv` on `dest` and collects its output (through the shared connection).
 * @param opts.timeoutMs deadline (default 30 000 ms).
 * @throws SshError (typed: host key changed/unknown, auth, unreachable) when ssh itself fails (exit 255);
 *   SpawnError when the remote command exits non-zero.
 */
export async function sshExec(
  settings: SshSettings,
  dest: SshDestination,
  argv: readonly string[],
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  const args = sshArgs(settings, dest, argv);
  try {
    const r = await run(settings.command ?? 'ssh', args, {
      env: { ...settings.env },
      timeoutMs: opts.timeoutMs ?? 30_000,
      input: opts.input,
    });
    return { stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    if (err instanceof SpawnError && err.exitCode === 255)
      throw await classifySshFailure(settings, dest, err.stderr);
    throw err;
  }
}

/**
 * Checks that `dest` can be logged into (host key known and unchanged, a key accepted) by running `true`.
 * @throws SshError as {@link sshExec}.
 */
export async function sshCheck(
  settings: SshSettings,
  dest: SshDestination,
  timeoutMs = 15_000,
): Promise<void> {
  await sshExec(settings, dest, ['true'], { timeoutMs });
}

/** Ends the shared connection of `dest` (`ssh -O exit`); no-op when there is none. */
export async function sshCloseMaster(settings: SshSettings, dest: SshDestination): Promise<void> {
  const args = sshArgs(settings, dest, []);
  const at = args.indexOf('-p');
  await run(settings.command ?? 'ssh', [...args.slice(0, at), '-O', 'exit', ...args.slice(at)], {
    env: { ...settings.env },
    timeoutMs: 10_000,
  }).catch(() => {});
}

/**
 * A byte stream to `argv` running on `dest` (its stdin and stdout), e.g. `docker system dial-stdio`.
 * It has the few socket methods Node's HTTP agent calls (setKeepAlive, setNoDelay, setTimeout, ref,
 * unref), so an `http.Agent`'s `createConnection` may return it. Ending the stream closes the remote
 * command's stdin; destroying it kills the local ssh. When ssh fails (exit 255) the stream is destroyed
 * with the typed {@link SshError}, when the remote command exits non-zero with {@link SshRemoteCommandError};
 * exit 0 ends the readable side.
 * @throws SshDestinationError (synchronously) for a destination that could inject options.
 */
export function sshStream(settings: SshSettings, dest: SshDestination, argv: readonly string[]): Duplex {
  const args = sshArgs(settings, dest, argv);
  return new SshStream(settings, dest, settings.command ?? 'ssh', args, argv);
}

class SshStream extends Duplex {
  private readonly child: ChildProcess;
  private stderr = '';
  private idle: NodeJS.Timeout | null = null;
  private idleMs = 0;

  constructor(
    settings: SshSettings,
    dest: SshDestination,
    command: string,
    args: string[],
    argv: readonly string[],
  ) {
    super({ allowHalfOpen: true });
    this.child = spawn(command, args, { env: { ...settings.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const child = this.child;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (this.idle) this.touch();
      if (!this.push(chunk)) child.stdout!.pause();
    });
    child
      .stderr!.setEncoding('utf8')
      .on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    child.stdin!.on('error', () => {}); // EPIPE once the remote side is gone; the exit says why
    child.once('error', (err) => this.destroy(err));
    // The readable side ends only once ssh has exited: an ssh failure (exit 255) must reach the reader
    // as its typed error, not as a plain end of the stream.
    child.once('close', (code) => {
      if (this.destroyed) return;
      if (code === 255) {
        void classifySshFailure(settings, dest, this.stderr).then((e) => this.destroy(e));
      } else if (code !== 0 && code !== null) {
        this.destroy(new SshRemoteCommandError(describeDestination(dest), argv, code, this.stderr));
      } else this.push(null);
    });
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.child.stdin || this.child.stdin.destroyed) return cb(new Error('ssh stream is closed'));
    if (this.idle) this.touch();
    this.child.stdin.write(chunk, (err) => cb(err ?? null));
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.child.stdin?.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    cb(err);
  }

  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  /** Emits `timeout` after `ms` without bytes either way (0 turns it off), as a socket does. */
  setTimeout(ms: number, cb?: () => void): this {
    if (cb && ms === 0) this.removeListener('timeout', cb);
    else if (cb) this.once('timeout', cb);
    this.idleMs = ms;
    this.touch();
    return this;
  }

  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    if (this.idleMs > 0 && !this.destroyed) {
      this.idle = setTimeout(() => this.emit('timeout'), this.idleMs);
      this.idle.unref();
    }
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/**
 * A port forward kept up by its own ssh process (no shared connection, so it can be supervised):
 * - `remote`: `-R <remoteSocket>:127.0.0.1:<localPort>`, a unix socket on the remote host whose
 *   connections reach `127.0.0.1:<localPort>` here (the stale socket is removed before each start);
 * - `local`: `-L <localSocket>:127.0.0.1:<remotePort>`, a unix socket here (mode 0600) whose connections
 *   reach `127.0.0.1:<remotePort>` on the remote host.
 */
export type SshForwardSpec =
  | { kind: 'remote'; remoteSocket: string; localPort: number }
  | { kind: 'local'; localSocket: string; remotePort: number };

/** A running forward: `ready()` waits for it, `stop()` ends it, `status()` is the supervisor's. */
export interface SshForward {
  /**
   * Resolves once the forward first works; rejects with the failure line when its first start fails
   * (it keeps retrying with backoff until stopped).
   */
  ready(): Promise<void>;
  status(): SupervisorStatus;
  stop(): Promise<void>;
}

const SOCKET_RE = /^\/[A-Za-z0-9._/-]+$/;

/**
 * Starts a supervised `ssh -N` forward (ExitOnForwardFailure=yes, keep-alives): when ssh exits (network
 * loss, remote restart) it is restarted with backoff 1 s … 30 s. Ready when the socket answers
 * (`local`) or exists on the remote host (`remote`, checked over the shared connection).
 * @throws SshDestinationError for a bad destination; Error for a socket path that is not a plain absolute path.
 */
export function sshForward(settings: SshSettings, dest: SshDestination, spec: SshForwardSpec): SshForward {
  checkDestination(dest);
  const sock = spec.kind === 'remote' ? spec.remoteSocket : spec.localSocket;
  const port = spec.kind === 'remote' ? spec.localPort : spec.remotePort;
  if (!SOCKET_RE.test(sock)) throw new Error(`Refusing forward socket path ${JSON.stringify(sock)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`Refusing forward port ${port}`);
  const flag = spec.kind === 'remote' ? '-R' : '-L';
  const extra = [
    '-N',
    '-o',
    'ExitOnForwardFailure=yes',
    '-o',
    'StreamLocalBindUnlink=yes',
    flag,
    `${sock}:127.0.0.1:${port}`,
  ];
  let firstOutcome: { resolve: () => void; reject: (err: Error) => void } | null = null;
  const first = new Promise<void>((resolve, reject) => (firstOutcome = { resolve, reject }));
  first.catch(() => {});
  const sup = new SupervisedProcess<SpawnPlan>({
    name: `ssh-forward ${describeDestination(dest)} ${flag} ${sock}`,
    plan: async () => {
      if (spec.kind === 'remote')
        await sshExec(settings, dest, ['rm', '-f', '--', sock], { timeoutMs: 15_000 });
      else fs.rmSync(sock, { force: true });
      return {
        command: settings.command ?? 'ssh',
        args: sshArgs(settings, dest, [], { multiplex: false, extra }),
        env: { ...settings.env },
      };
    },
    isReady: async () =>
      spec.kind === 'local'
        ? canConnect(sock)
        : sshExec(settings, dest, ['test', '-S', sock], { timeoutMs: 5000 }).then(
            () => true,
            () => false,
          ),
    readyIntervalMs: 200,
    startDeadlineMs: 30_000,
    stopGraceMs: 2000,
    backoff: { initialMs: 1000, maxMs: 30_000 },
    crashLimit: { count: 1_000_000, windowMs: 60_000 },
    onChange: (st) => {
      if (!firstOutcome) return;
      if (st.state === 'ready') firstOutcome.resolve();
      else if (st.state === 'restarting' && st.lastError) firstOutcome.reject(new Error(st.lastError));
      else if (st.state === 'stopped') firstOutcome.reject(new Error('the forward was stopped'));
      else return;
      firstOutcome = null;
    },
  });
  sup.start();
  return {
    ready: () => first,
    status: () => sup.status(),
    stop: async () => {
      await sup.stop();
      if (spec.kind === 'local') fs.rmSync(sock, { force: true });
    },
  };
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function lastLine(s: string): string {
  const lines = s
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 300);
}
