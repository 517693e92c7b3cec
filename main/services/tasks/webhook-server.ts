// The task webhooks' own HTTP listener (loopback unless the user opts in): secret per task, JSON only, capped, rate-limited, no CORS.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { isAppError } from '../../../contract/errors';
import { WEBHOOK_BODY_MAX } from '../../../contract/tasks';
import type { TaskRun } from '../../../contract/tasks';
import { readRequestUpTo } from '../../platform/http-body';
import type { Logger } from '../../platform/logging';
import { pathProblem } from '../../transport/http/canonical-path';
import type { TaskRow } from './task-repository';

/** What the listener needs from the task service. */
export interface WebhookTarget {
  /** The webhook task `id` when `secret` is its secret, else `null` (one answer for every refusal). */
  checkHook(id: string, secret: string): TaskRow | null;
  /** Queues a run with the body. @throws AppError CONFLICT (disabled task) */
  fireHook(task: TaskRow, body: string): TaskRun;
}

/** Options of the listener. */
export interface WebhookServerOptions {
  target: WebhookTarget;
  log: Logger;
  /** Accepted calls per task per minute (default 30); more get 429 with Retry-After. */
  perTaskPerMinute?: number;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const HOOK_PATH = /^\/hooks\/([0-9a-f-]{36})(?:\/([A-Za-z0-9_]{1,200}))?$/;

/**
 * True when `Host` names this listener: `localhost` or an IP literal (any: the listener may be bound to
 * 0.0.0.0 by the user's choice), with its port. A DNS name is refused: that is what a web page rebinding
 * its own name to 127.0.0.1 sends (DNS rebinding), and no legitimate caller needs one.
 */
export function webhookHostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d+)$/.exec(host);
  if (!m || Number(m[2]) !== port) return false;
  const name = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return name.toLowerCase() === 'localhost' || net.isIP(name) !== 0;
}

/**
 * `POST /hooks/<task-id>/<secret>` (or `/hooks/<task-id>` with `Authorization: Bearer <secret>`) with a
 * JSON body queues a run of that webhook task, the body given to its prompt as untrusted input; answers
 * 202 `{run_id, status}`. A separate listener from the control API (docs/decisions/013-tasks-and-budgets.md):
 * it may be opened to the LAN without exposing the control API, and it runs in the desktop app too. Each
 * request, in order: `Host` an IP literal or `localhost` with our port (403) → path in canonical form
 * (400) → a hook path (404) → POST (405; no OPTIONS and no CORS headers ever, so a page's preflight
 * fails) → `Content-Type: application/json` (415; a page can only send simple types without a
 * preflight) → task and secret (401, one answer for an unknown task, another trigger and a wrong
 * secret; constant-time) → the task's rate (429) → body ≤ 64 KiB (413) → valid UTF-8 JSON (400) → run
 * queued (202; 409 when the task is disabled). A refused call leaves no run, no trace and no file.
 */
export class WebhookServer {
  private server: http.Server | null = null;
  private readonly windows = new Map<string, number[]>();
  private boundPort = 0;
  private boundAddress = '';

  constructor(private readonly opts: WebhookServerOptions) {}

  /** Listens on `address:port` (0 = a free port). @throws Error from listen (EADDRINUSE, EADDRNOTAVAIL). */
  async start(address: string, port: number): Promise<void> {
    const server = http.createServer(
      { requestTimeout: 15_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 },
      (req, res) => this.handle(req, res),
    );
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.opts.log.error({ err }, 'webhook listener error'));
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.boundAddress = address;
  }

  /** The port listened on (0 when not listening). */
  get port(): number {
    return this.server ? this.boundPort : 0;
  }

  /** `http://<address>:<port>` as callers write it (`127.0.0.1` for a wildcard bind); `null` when not listening. */
  get url(): string | null {
    if (!this.server) return null;
    const a = this.boundAddress === '0.0.0.0' || this.boundAddress === '::' ? '127.0.0.1' : this.boundAddress;
    return `http://${net.isIPv6(a) ? `[${a}]` : a}:${this.boundPort}`;
  }

  /** Stops listening and closes open connections. */
  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const send = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      if (res.headersSent) return void res.destroy();
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        ...headers,
      });
      res.end(text);
    };
    const refuse = (status: number, error: string, headers: Record<string, string> = {}) => {
      req.resume();
      send(status, { error }, { Connection: 'close', ...headers });
    };
    if (!webhookHostAllowed(req.headers.host, this.boundPort))
      return refuse(
        403,
        `Host "${String(req.headers.host ?? '').slice(0, 100)}" is not allowed: call http://127.0.0.1:${this.boundPort}`,
      );
    const url = req.url ?? '/';
    const problem = pathProblem(url);
    if (problem) return refuse(400, `The path is not in canonical form: ${problem}`);
    const m = HOOK_PATH.exec(url.split('?')[0]!);
    if (!m) return refuse(404, 'No such endpoint: task webhooks are POST /hooks/<task-id>/<secret>');
    if (req.method !== 'POST') return refuse(405, 'Use POST with a JSON body', { Allow: 'POST' });
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (type !== 'application/json') return refuse(415, 'Send the body as Content-Type: application/json');
    const auth = req.headers.authorization;
    const bearer = auth && /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
    const secret = m[2] ?? bearer ?? '';
    const task = this.opts.target.checkHook(m[1]!, secret);
    if (!task) return refuse(401, 'Unknown task or wrong secret');
    const retry = this.rateRefusal(task.id);
    if (retry !== null)
      return refuse(429, 'Too many calls of this webhook; wait a little', { 'Retry-After': String(retry) });
    if (Number(req.headers['content-length'] ?? 0) > WEBHOOK_BODY_MAX)
      return refuse(413, `The body is larger than ${WEBHOOK_BODY_MAX} bytes`);
    void readRequestUpTo(req, WEBHOOK_BODY_MAX).then(
      (raw) => {
        if (raw === null) return refuse(413, `The body is larger than ${WEBHOOK_BODY_MAX} bytes`);
        let value: unknown;
        try {
          value = JSON.parse(UTF8.decode(raw));
        } catch {
          return send(400, { error: 'The body is not valid JSON (UTF-8)' });
        }
        // Re-serialised: valid JSON whatever came in, and `<` escaped so the body cannot close the tag
        // that marks it as untrusted in the prompt (task-runner.ts promptOf).
        const body = JSON.stringify(value, null, 2).replace(/</g, '\\u003c');
        try {
          const run = this.opts.target.fireHook(task, body);
          send(202, { run_id: run.id, status: run.status });
        } catch (err) {
          if (isAppError(err) && err.code === 'CONFLICT') return send(409, { error: err.message });
          this.opts.log.error({ err, task: task.id }, 'webhook run could not be queued');
          send(500, { error: 'The run could not be queued; see the core log' });
        }
      },
      () => res.destroy(),
    );
  }

  /** Seconds to wait when the task had its calls of the last minute, else `null` (and the call is counted). */
  private rateRefusal(taskId: string, now = Date.now()): number | null {
    const limit = this.opts.perTaskPerMinute ?? 30;
    let w = this.windows.get(taskId);
    if (!w) this.windows.set(taskId, (w = []));
    while (w.length && w[0]! <= now - 60_000) w.shift();
    if (w.length >= limit) return Math.max(1, Math.ceil((w[0]! + 60_000 - now) / 1000));
    w.push(now);
    if (this.windows.size > 10_000) this.windows.clear();
    return null;
  }
}
