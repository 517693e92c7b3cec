// Runs a command in an Incus container with recorded output, and kills it when it outlives its deadline.
import crypto from 'node:crypto';
import { RuntimeOperationError } from '../container-runtime';
import type { ExecResult } from '../container-runtime';
import { IncusDeadlineError } from './incus-client';
import type { IncusClient } from './incus-client';

/**
 * Runs `cmd` in the running container `name` (`POST /1.0/instances/<name>/exec` with
 * `record-output: true`, `wait-for-websocket: false`; Incus docs, "Instances": exec). The exit code is
 * the finished operation's `metadata.return`; stdout/stderr are read from the recorded files
 * `logs/exec-output/exec_<operation id>.stdout|.stderr` and deleted afterwards. Incus fails the
 * operation with "Command not found" / "Permission denied" for exit codes 127 / 126; those come back
 * as the exit codes.
 *
 * Incus 6.0 cannot cancel an exec operation ("This operation can't be cancelled", measured), so the
 * command runs under `/bin/sh -c 'echo $$ > <pidfile>; exec "$@"'` (same pid as the command) and is
 * killed with SIGKILL from a second exec when it misses `timeoutMs`. The container needs /bin/sh
 * (every Debian image has it). A missing command then exits 127 with sh's message on stderr.
 * @param timeoutMs deadline for the command in ms (granularity 1 s: Incus waits in whole seconds).
 * @throws RuntimeOperationError on timeout (`… did not finish within N ms`) or when Incus refuses
 *   (container not running: Incus's text).
 */
export async function execInContainer(
  client: IncusClient,
  name: string,
  cmd: string[],
  opts: { timeoutMs: number; env?: Record<string, string> },
): Promise<ExecResult> {
  if (cmd.length === 0 || !cmd[0])
    throw new Error('exec needs a command: cmd must hold at least the program');
  const base = `/1.0/instances/${encodeURIComponent(name)}`;
  const pidFile = `/tmp/.agentdesk-exec-${crypto.randomBytes(8).toString('hex')}.pid`;
  const body = {
    command: ['/bin/sh', '-c', `echo $$ > ${pidFile}; exec "$@"`, 'sh', ...cmd],
    environment: opts.env ?? {},
    'record-output': true,
    'wait-for-websocket': false,
    interactive: false,
  };
  const opId = await client.start('POST', `${base}/exec`, body, 'exec');
  let exitCode: number;
  try {
    const op = await client.wait(opId, 'exec', Date.now() + opts.timeoutMs);
    exitCode = Number(op.metadata?.return ?? -1);
  } catch (err) {
    if (err instanceof IncusDeadlineError) {
      await killByPidFile(client, base, pidFile);
      throw new RuntimeOperationError(
        'incus',
        'exec',
        `${cmd[0]} did not finish within ${opts.timeoutMs} ms (killed)`,
      );
    }
    // Incus turns exit codes 126/127 into a failed operation (measured on 6.0.4); give the code back.
    const code =
      err instanceof RuntimeOperationError
        ? EXIT_ERRORS[err.message.replace(/^incus exec: /, '')]
        : undefined;
    if (code === undefined) throw err;
    exitCode = code;
  }
  const out = `${base}/logs/exec-output/exec_${opId}`;
  const read = (path: string): Promise<string> => client.text(path, 'exec output').catch(() => '');
  const [stdout, stderr] = await Promise.all([read(`${out}.stdout`), read(`${out}.stderr`)]);
  await Promise.all([
    ...[`${out}.stdout`, `${out}.stderr`].map((p) =>
      client.send('DELETE', p, undefined, 'exec output').catch(() => undefined),
    ),
    deleteFile(client, base, pidFile),
  ]);
  return { exitCode, stdout, stderr };
}

/** Errors Incus reports instead of these exit codes. */
const EXIT_ERRORS: Record<string, number> = { 'Command not found': 127, 'Permission denied': 126 };

async function killByPidFile(client: IncusClient, base: string, pidFile: string): Promise<void> {
  const body = {
    command: ['/bin/sh', '-c', `read p < ${pidFile} && kill -KILL "$p"`],
    'record-output': false,
    'wait-for-websocket': false,
    interactive: false,
  };
  await client.run('POST', `${base}/exec`, body, 'exec kill', 10_000).catch(() => undefined);
  await deleteFile(client, base, pidFile);
}

function deleteFile(client: IncusClient, base: string, path: string): Promise<void> {
  return client
    .send('DELETE', `${base}/files?path=${encodeURIComponent(path)}`, undefined, 'exec cleanup')
    .then(() => undefined)
    .catch(() => undefined);
}
