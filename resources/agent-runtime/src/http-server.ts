// The runtime protocol's HTTP server (PROTOCOL.md "HTTP"): guard, routes, JSON errors, the SSE stream of a turn.
// Shared by the built-in runtime (server.ts) and the CLI harnesses' adapter (main/services/harnesses/cli-adapter),
// which bundles it from here: this file imports only Node built-ins and this folder.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RuntimeConfig } from './config';
import { LIMITS } from './config';
import { refuse } from './guard';
import { logError, logInfo, messageOf } from './log';
import { threadIdProblem } from './threads';
import type { ThreadStore } from './threads';

/** An answer other than 200: `status` and the message sent as `{error:{message}}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Answers `status` with `body` as JSON (and its Content-Length). */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The request body as text, at most `LIMITS.bodyBytes` (1 MiB). @throws HttpError 413 past it (declared or read). */
export async function readBody(req: http.IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooBig = () =>
    new HttpError(413, `request body exceeds ${LIMITS.bodyBytes} bytes (1 MiB); send a shorter text`);
  if (declared > LIMITS.bodyBytes) throw tooBig();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > LIMITS.bodyBytes) throw tooBig();
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Checks a `POST /turn` body: `{text: non-empty string, thread_id?: string}` and nothing else. @throws HttpError 400 naming the field. */
export function parseTurnBody(raw: string): { text: string; threadId: string | null } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    throw new HttpError(
      400,
      `body is not valid JSON (${(err as Error).message}); send {"text": "...", "thread_id"?: "..."}`,
    );
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(400, 'body must be a JSON object: {"text": "...", "thread_id"?: "..."}');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'text' && k !== 'thread_id');
  if (unknown.length)
    throw new HttpError(
      400,
      `unknown field ${unknown.map((k) => `"${k}"`).join(', ')}; valid fields: text, thread_id`,
    );
  if (typeof b.text !== 'string' || !b.text.trim())
    throw new HttpError(
      400,
      `field "text" must be a non-empty string, got ${b.text === undefined ? 'nothing' : JSON.stringify(b.text).slice(0, 60)}`,
    );
  if (b.thread_id === undefined || b.thread_id === null) return { text: b.text, threadId: null };
  if (typeof b.thread_id !== 'string')
    throw new HttpError(400, `field "thread_id" must be a string, got ${typeof b.thread_id}`);
  const problem = threadIdProblem(b.thread_id);
  if (problem) throw new HttpError(400, `field ${problem}`);
  return { text: b.text, threadId: b.thread_id };
}

/** One event of a turn's stream, written as `event: <event>` and `data: <JSON>`. */
export interface StreamEvent {
  event: string;
  data: unknown;
}

/** Runs one turn, writing its events through `emit`; `signal` aborts when the client leaves or the server closes. */
export type TurnRun = (emit: (e: StreamEvent) => void, signal: AbortSignal) => Promise<unknown>;

/** What a protocol server serves: its version, its check, its turns. */
export interface ProtocolHandlers {
  /** `version` of `GET /health`. */
  version: string;
  /** `GET /verify`: answered 200 when `ok`, else 503, with the result as body. */
  verify(): Promise<{ ok: boolean }>;
  /**
   * Prepares a turn on a thread held for it (an error here is answered as JSON), then returns its run
   * (its events go out as SSE).
   */
  turn(input: { text: string; threadId: string }): Promise<TurnRun>;
  /** Where turns are held and `GET /threads/<id>` reads. */
  threads: ThreadStore;
  /** Flushed (≤ 2 s) when the server closes. */
  trace: { flush(timeoutMs: number): Promise<unknown> };
  /** Fields of the `listening` log line besides host and port. */
  logFields: Record<string, unknown>;
}

/** A running protocol server. */
export interface ProtocolServer {
  /** The port it listens on (the real one when the config said 0). */
  port: number;
  /** Stops accepting, cancels running turns, waits for them and flushes the trace (≤ 2 s). */
  close(): Promise<void>;
}

/**
 * Serves the runtime protocol on `config.host:config.port`: `GET /health`, `GET /verify`, `POST /turn`
 * (SSE, one turn per thread at a time), `GET /threads/<id>`, behind the guard (runtime credential, no
 * Origin, loopback or own-address Host, JSON bodies). Errors answer `{error:{message}}` with 400 (bad
 * JSON or field, naming it), 404, 405, 409 (a turn already runs on the thread), 413 (body over 1 MiB) or 500.
 * @throws Error when the port cannot be bound (e.g. EADDRINUSE).
 */
export async function serveProtocol(config: RuntimeConfig, h: ProtocolHandlers): Promise<ProtocolServer> {
  const { threads } = h;
  const started = Date.now();
  const running = new Map<Promise<unknown>, AbortController>();

  const turn = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const input = parseTurnBody(await readBody(req));
    const threadId = input.threadId ?? randomUUID();
    const release = threads.acquire(threadId);
    if (!release)
      throw new HttpError(
        409,
        `a turn is already running on thread ${threadId}; wait for its "done" or "error" event`,
      );
    try {
      const run = await h.turn({ text: input.text, threadId });
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort(new Error('the client closed the connection'));
      });
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.flushHeaders();
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      const emit = (e: StreamEvent) => {
        if (!res.writableEnded && !res.destroyed)
          res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
      };
      const work = run(emit, abort.signal);
      running.set(work, abort);
      try {
        await work;
      } finally {
        running.delete(work);
        clearInterval(heartbeat);
        res.end();
      }
    } finally {
      release();
    }
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const { pathname } = new URL(req.url ?? '/', 'http://runtime');
    const refused = refuse(req, pathname, config.credential);
    if (refused) throw new HttpError(refused.status, refused.message);
    const only = (method: string) => {
      if (req.method !== method)
        throw new HttpError(405, `${req.method} ${pathname} is not allowed; use ${method}`);
    };
    if (pathname === '/health') {
      only('GET');
      return sendJson(res, 200, {
        ok: true,
        model: config.model,
        version: h.version,
        uptime_ms: Date.now() - started,
      });
    }
    if (pathname === '/verify') {
      // The same check as the `verify` command, from the running process (no exec, no second Node start).
      only('GET');
      const result = await h.verify();
      return sendJson(res, result.ok ? 200 : 503, result);
    }
    if (pathname === '/turn') {
      only('POST');
      return turn(req, res);
    }
    const m = /^\/threads\/([^/]+)$/.exec(pathname);
    if (m) {
      only('GET');
      const id = decodeURIComponent(m[1]!);
      const problem = threadIdProblem(id);
      if (problem) throw new HttpError(400, problem);
      const thread = await threads.load(id);
      if (!thread) throw new HttpError(404, `no thread ${id}`);
      return sendJson(res, 200, { thread_id: thread.thread_id, messages: thread.messages });
    }
    throw new HttpError(
      404,
      `no route ${req.method} ${pathname}; routes: GET /health, GET /verify, POST /turn, GET /threads/<id>`,
    );
  };

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : `internal error: ${messageOf(err)}`;
      if (status >= 500) logError('http.error', { method: req.method, url: req.url, error: message });
      if (res.headersSent) return void res.end();
      sendJson(res, status, { error: { message } }, status === 413 ? { Connection: 'close' } : {});
    });
  });
  server.requestTimeout = 0; // turns stream for as long as they work
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logInfo('listening', { host: config.host, port, ...h.logFields });

  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const abort of running.values()) abort.abort(new Error('the runtime is shutting down'));
      await Promise.allSettled([...running.keys()]);
      server.closeAllConnections();
      await closed;
      await h.trace.flush(2000);
    },
  };
}
