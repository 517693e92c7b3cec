// The egress helper: runs inside the helper container (host network, NET_ADMIN), applies only checked iptables input, streams our kernel log lines.
import { run } from '../../platform/spawn';
import { LOG_PREFIX } from './egress-names';
import { HELPER_PROTOCOL, REQUEST_LINE_MAX, parseRequest } from './helper-protocol';
import type { Backend, HelperReply, HelperRequest } from './helper-protocol';
import { IPTABLES_TIMEOUT_MS, commandError, iptablesTool } from './iptables';
import { KernelLogFollower } from './kernel-log';
import { checkQuery, checkRestore } from './rule-guard';

const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

function send(reply: HelperReply): void {
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}

/** Why a command failed, as a reply. */
function failure(id: number, err: unknown): HelperReply {
  const e = commandError(err);
  return { id, ok: false, error: e.message, exitCode: e.exitCode, stderr: e.stderr };
}

/**
 * One session (`serve`): requests on stdin, one at a time in order, replies on stdout. The session
 * ends with stdin (the core went away). Every command is checked by rule-guard.ts first; a refused
 * one never runs and is answered `refused: true`.
 */
class Session {
  private backend: Backend = 'nft';
  private kmsg: KernelLogFollower | null = null;

  async handle(r: HelperRequest): Promise<HelperReply> {
    switch (r.op) {
      case 'hello': {
        this.backend = r.backend ?? 'nft';
        try {
          const v = await run(iptablesTool(4, '', this.backend), ['-V'], { env: ENV, timeoutMs: 5_000 });
          return {
            id: r.id,
            ok: true,
            protocol: HELPER_PROTOCOL,
            backend: this.backend,
            version: v.stdout.trim(),
          };
        } catch (err) {
          return failure(r.id, err);
        }
      }
      case 'query': {
        const why = checkQuery(r.args);
        if (why) return { id: r.id, ok: false, error: `refused: ${why}`, exitCode: null, refused: true };
        try {
          const out = await run(iptablesTool(r.family, '', this.backend), ['-w', '-t', r.table, ...r.args], {
            env: ENV,
            timeoutMs: IPTABLES_TIMEOUT_MS,
            fullStdout: true,
          });
          return { id: r.id, ok: true, stdout: out.stdout };
        } catch (err) {
          return failure(r.id, err);
        }
      }
      case 'restore': {
        const why = checkRestore(r.input, r.family);
        if (why) return { id: r.id, ok: false, error: `refused: ${why}`, exitCode: null, refused: true };
        try {
          await run(iptablesTool(r.family, '-restore', this.backend), ['-w', '--noflush'], {
            env: ENV,
            timeoutMs: IPTABLES_TIMEOUT_MS,
            input: r.input,
          });
          return { id: r.id, ok: true };
        } catch (err) {
          return failure(r.id, err);
        }
      }
      case 'kmsg': {
        this.kmsg?.close();
        this.kmsg = new KernelLogFollower(
          (message) => send({ event: 'kmsg', message }),
          '/dev/kmsg',
          `${LOG_PREFIX} `,
        );
        const why = this.kmsg.start();
        return why ? { id: r.id, ok: false, error: why, exitCode: null } : { id: r.id, ok: true };
      }
    }
  }

  close(): void {
    this.kmsg?.close();
  }
}

/** Reads request lines from stdin (each at most {@link REQUEST_LINE_MAX} bytes) and answers them in order. */
function serve(): void {
  const session = new Session();
  let buffered = '';
  let queue: Promise<void> = Promise.resolve();
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.trim()) continue;
      const request = parseRequest(line);
      queue = queue.then(async () =>
        send(
          'error' in request
            ? { id: request.id, ok: false, error: `refused: ${request.error}`, exitCode: null, refused: true }
            : await session.handle(request),
        ),
      );
    }
    if (buffered.length > REQUEST_LINE_MAX) {
      send({
        id: 0,
        ok: false,
        error: `refused: a request line is longer than ${REQUEST_LINE_MAX} bytes`,
        exitCode: null,
        refused: true,
      });
      process.exit(2);
    }
  });
  process.stdin.on('end', () => {
    void queue.then(() => {
      session.close();
      process.exit(0);
    });
  });
}

/** PID 1 of the helper container: holds it up (sessions are `docker exec`s) and exits on SIGTERM/SIGINT. */
function hold(): void {
  const timer = setInterval(() => undefined, 1 << 30);
  const stop = () => {
    clearInterval(timer);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const mode = process.argv[2];
if (mode === 'serve') serve();
else if (mode === 'hold') hold();
else {
  process.stderr.write('usage: egress-helper hold|serve\n');
  process.exit(2);
}
