// The `shell` tool: `bash -lc` in the workspace, in its own process group, with a deadline and an output cap.
import { spawn } from 'node:child_process';

/** What a command did. `output` is stdout and stderr interleaved, cut at the cap. */
export interface ShellResult {
  output: string;
  /** Exit status; 124 when the deadline killed it (like coreutils `timeout`), 128+n for signal n. */
  exitCode: number;
  /** Bytes the command wrote in total (before the cap). */
  size: number;
  truncated: boolean;
  timedOut: boolean;
  cancelled: boolean;
}

/** Options of {@link runShell}. */
export interface ShellOptions {
  cwd: string;
  /** `HOME` of the command (the agent's home), so a login shell reads the agent's profile, not the host user's. */
  home: string;
  /** Deadline, ms; the whole process group gets SIGKILL when it passes. */
  timeoutMs: number;
  /** Bytes of output kept. */
  capBytes: number;
  /** Aborting kills the process group (the client of the turn went away). */
  signal?: AbortSignal;
}

/** After bash exits, how long its stdout may stay open (a background job holding it) before we stop reading, ms. */
const DRAIN_MS = 300;

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

/**
 * Runs `command` with `bash -lc` in `cwd`, as the leader of a new process group (`detached`), so a
 * deadline or a cancel kills everything it started (`kill(-pgid, SIGKILL)`). Background jobs that
 * outlive bash are left running, and their output is no longer read.
 * Never throws for the command's own failures: they are in the result. Throws only when bash cannot
 * be started (e.g. ENOENT), with that reason.
 */
export function runShell(command: string, opts: ShellOptions): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-lc', command], {
      cwd: opts.cwd,
      env: { ...withoutCredential(process.env), HOME: opts.home },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let size = 0;
    let timedOut = false;
    let cancelled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let settled = false;

    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (keptBytes < opts.capBytes) {
        const part = chunk.subarray(0, opts.capBytes - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);

    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone: nothing left to kill.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    const onAbort = () => {
      cancelled = true;
      killGroup();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();

    const finish = () => {
      if (settled || !exit) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      const code = timedOut ? 124 : (exit.code ?? 128 + (SIGNALS[exit.signal ?? ''] ?? 0));
      resolve({
        output: Buffer.concat(kept).toString('utf8'),
        exitCode: code,
        size,
        truncated: size > keptBytes,
        timedOut,
        cancelled,
      });
    };
    child.once('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new Error(`cannot start bash: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      setTimeout(finish, DRAIN_MS).unref();
    });
    child.once('close', () => finish());
  });
}

/** The environment without the runtime credential, should it have been given as a variable. */
function withoutCredential(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.AGENTDESK_RUNTIME_TOKEN;
  return copy;
}
