// Runs a command in a running container (POST /containers/{id}/exec, then start attached and inspect).
import type Dockerode from 'dockerode';
import { RuntimeOperationError } from '../container-runtime';
import type { ExecResult } from '../container-runtime';
import { collectOutput } from './docker-logs';
import type { DemuxModem } from './docker-logs';

/** Pause between exec inspections while the engine has not recorded the exit code yet (ms). */
const EXIT_POLL_MS = 50;

/**
 * Runs `cmd` (argv, no shell) in `container` with extra `env` (`KEY=value` pairs added to the
 * container's). stdout and stderr are demuxed and kept apart (each to 1 MiB); the exit code comes
 * from `GET /exec/{id}/json` (Engine API). On timeout the attached stream is destroyed; Docker has no
 * API to kill an exec'd process, so it runs on until it exits by itself.
 * @param opts.timeoutMs deadline of the whole call in ms (> 0).
 * @throws RuntimeOperationError for an empty `cmd`, a bad timeout, or the deadline passing; engine
 *   and socket errors are rethrown as they are (the caller maps them: 404 missing, 409 not running).
 */
export async function execInContainer(
  container: Dockerode.Container,
  modem: DemuxModem,
  cmd: string[],
  opts: { timeoutMs: number; env?: Record<string, string> },
): Promise<ExecResult> {
  if (!cmd.length)
    throw new RuntimeOperationError('docker', 'exec', 'the command is empty: give argv, e.g. ["ls"]');
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) {
    throw new RuntimeOperationError('docker', 'exec', `timeoutMs ${opts.timeoutMs} is not valid: use > 0 ms`);
  }
  const deadline = Date.now() + opts.timeoutMs;
  const timeoutError = () =>
    new RuntimeOperationError(
      'docker',
      'exec',
      `\`${cmd.join(' ')}\` did not finish within ${opts.timeoutMs} ms`,
    );
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const ex = await container.exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await ex.start({ hijack: true, stdin: false });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        stream.destroy();
        reject(timeoutError());
      },
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    const output = await Promise.race([collectOutput(modem, stream), timedOut]);
    for (;;) {
      const state = await ex.inspect();
      if (!state.Running && state.ExitCode !== null) return { exitCode: state.ExitCode, ...output };
      if (Date.now() >= deadline) throw timeoutError();
      await new Promise((r) => setTimeout(r, EXIT_POLL_MS));
    }
  } finally {
    clearTimeout(timer);
  }
}
