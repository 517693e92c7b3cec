// Test helper: start and stop a private daemon (dockerd, incusd) with its output in a log file.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/** A daemon process the test controls. */
export interface Daemon {
  /** Spawns it and waits until `answers()` is true (30 s at most). */
  start: () => Promise<void>;
  /** SIGTERM, SIGKILL after 30 s; resolves once it has exited. A no-op when not running. */
  stop: () => Promise<void>;
  /** True while a started process has not been stopped. */
  running: () => boolean;
  /** Sends `sig` to the started process (a no-op when none runs). */
  signal: (sig: NodeJS.Signals) => void;
}

/**
 * Supervises `command args` for a test: output appended to `logFile`, readiness polled every 200 ms.
 * @throws Error with the last 3000 characters of the log when it exits or does not answer within 30 s.
 */
export function daemon(opts: {
  label: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  logFile: string;
  answers: () => boolean;
}): Daemon {
  let child: ChildProcess | null = null;
  return {
    running: () => child !== null,
    signal: (sig) => {
      child?.kill(sig);
    },
    start: async () => {
      const log = fs.openSync(opts.logFile, 'a');
      const c = spawn(opts.command, opts.args, { env: opts.env, stdio: ['ignore', log, log] });
      child = c;
      fs.closeSync(log);
      const t0 = Date.now();
      while (!opts.answers()) {
        if (c.exitCode !== null || Date.now() - t0 > 30_000)
          throw new Error(
            `the ${opts.label} did not start:\n${fs.readFileSync(opts.logFile, 'utf8').slice(-3000)}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: async () => {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
