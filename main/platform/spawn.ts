// The one wrapper around child_process: typed errors with command, exit code, signal and output tails.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

/** How many characters of stdout/stderr an error keeps (the end of the output, where errors are). */
export const OUTPUT_TAIL_CHARS = 4000;

/**
 * A child process failed: it could not be started (`cause` = the spawn error, e.g. ENOENT), exited
 * with a non-zero code, was killed by a signal, or outlived its deadline. Carries the command line and
 * the last {@link OUTPUT_TAIL_CHARS} characters of each stream. Never carries the environment (which may
 * hold keys).
 */
export class SpawnError extends Error {
  readonly command: string;
  readonly args: readonly string[];
  /** Exit code, or `null` when the process never started or was killed by a signal. */
  readonly exitCode: number | null;
  /** The signal that ended the process (`SIGKILL` for a missed deadline), or `null`. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the deadline (`timeoutMs`) ended the process. */
  readonly timedOut: boolean;

  constructor(init: {
    command: string;
    args: readonly string[];
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    stdout?: string;
    stderr?: string;
    timedOut?: boolean;
    cause?: unknown;
  }) {
    const what = `${init.command} ${init.args.join(' ')}`.trim();
    const why = init.cause
      ? `could not start: ${(init.cause as Error).message}`
      : init.timedOut
        ? 'did not finish in time'
        : init.signal
          ? `was killed by ${init.signal}`
          : `exited with code ${init.exitCode}`;
    const stderr = tail(init.stderr ?? '');
    super(`${what} ${why}${stderr.trim() ? `: ${lastLine(stderr)}` : ''}`, { cause: init.cause });
    this.name = 'SpawnError';
    this.command = init.command;
    this.args = init.args;
    this.exitCode = init.exitCode;
    this.signal = init.signal;
    this.stdout = tail(init.stdout ?? '');
    this.stderr = stderr;
    this.timedOut = init.timedOut ?? false;
  }
}

function tail(s: string): string {
  return s.length > OUTPUT_TAIL_CHARS ? s.slice(-OUTPUT_TAIL_CHARS) : s;
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return lines[lines.length - 1]!.slice(0, 300);
}

/** What {@link run} answers when the command exits with code 0. */
export interface RunResult {
  stdout: string;
  stderr: string;
  /** Wall time in ms. */
  durationMs: number;
}

/**
 * Runs `command args` to completion (never through a shell) and collects its output.
 * @param opts.timeoutMs deadline in ms; the process (and its group) gets SIGKILL when it passes.
 * @param opts.input written to stdin, which is then closed.
 * @param opts.stdinFd an open file descriptor the child reads as its stdin instead (`input` is ignored);
 *   it shares the file offset with ours, so give each run a fresh descriptor.
 * @param opts.stdoutFd an open file descriptor the child writes its stdout to (the result's `stdout` is then '').
 * @param opts.fullStdout keep all of stdout (default: its last {@link OUTPUT_TAIL_CHARS} characters), for
 *   commands whose listing is parsed.
 * @throws SpawnError when it cannot start, exits non-zero, is killed, or misses the deadline.
 */
export function run(
  command: string,
  args: readonly string[] = [],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    input?: string;
    stdinFd?: number;
    stdoutFd?: number;
    fullStdout?: boolean;
  } = {},
): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(command, [...args], {
        cwd: opts.cwd,
        env: opts.env,
        stdio: [opts.stdinFd ?? 'pipe', opts.stdoutFd ?? 'pipe', 'pipe'],
        detached: true,
      });
    } catch (cause) {
      reject(new SpawnError({ command, args, exitCode: null, signal: null, cause }));
      return;
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout
      ?.setEncoding('utf8')
      .on('data', (c: string) => (stdout = opts.fullStdout ? stdout + c : tail(stdout + c)));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = tail(stderr + c)));
    if (child.stdin) {
      child.stdin.on('error', () => {}); // EPIPE when the command does not read its input
      child.stdin.end(opts.input ?? '');
    }
    const timer =
      opts.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            timedOut = true;
            if (child.pid) killProcessGroup(child.pid, 'SIGKILL');
          }, opts.timeoutMs);
    child.once('error', (cause) => {
      if (timer) clearTimeout(timer);
      reject(new SpawnError({ command, args, exitCode: null, signal: null, stdout, stderr, cause }));
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code === 0 && !timedOut) resolve({ stdout, stderr, durationMs: performance.now() - t0 });
      else reject(new SpawnError({ command, args, exitCode: code, signal, stdout, stderr, timedOut }));
    });
  });
}

/** Options of {@link spawnGroupLeader}. */
export interface GroupLeaderOptions {
  cwd?: string;
  /** The complete environment of the child (nothing is inherited unless passed here). */
  env: NodeJS.ProcessEnv;
}

/**
 * Starts a long-running child as the leader of its own process group (`detached: true`), so the
 * whole group can be signalled with {@link killProcessGroup} without touching anything else. stdin is
 * closed; stdout and stderr are pipes. Never uses a shell.
 * @returns the child once the OS has started it.
 * @throws SpawnError when it cannot be started (ENOENT, EACCES…).
 */
export function spawnGroupLeader(
  command: string,
  args: readonly string[],
  opts: GroupLeaderOptions,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const options: SpawnOptions = {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    };
    let child: ChildProcess;
    try {
      child = spawn(command, [...args], options);
    } catch (cause) {
      reject(new SpawnError({ command, args, exitCode: null, signal: null, cause }));
      return;
    }
    const onError = (cause: Error) =>
      reject(new SpawnError({ command, args, exitCode: null, signal: null, cause }));
    child.once('error', onError);
    child.once('spawn', () => {
      child.off('error', onError);
      resolve(child);
    });
  });
}

/** Signals this module may send. No SIGHUP: LiteLLM's single-worker uvicorn dies on it. */
export type GroupSignal = 'SIGTERM' | 'SIGKILL' | 'SIGINT' | 0;

/**
 * Sends `signal` to the process group led by `pid` (`kill(-pid)`); `0` only checks that the group
 * still has members. Call it only with the pid of a child this process started with
 * {@link spawnGroupLeader} or {@link run}.
 * @returns true when the signal was delivered, false when the group no longer exists (ESRCH).
 * @throws Error for other failures (EPERM), or when asked for SIGHUP.
 */
export function killProcessGroup(pid: number, signal: GroupSignal): boolean {
  if ((signal as string) === 'SIGHUP') throw new Error('SIGHUP is never sent to a supervised process');
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`Refusing to signal process group ${pid}`);
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
