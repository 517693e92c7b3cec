// The in-container adapter of a headless CLI harness: the Agent Desk runtime protocol on :8100, each turn one run of the CLI.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RuntimeConfig } from '../../../../resources/agent-runtime/src/config';
import { LIMITS } from '../../../../resources/agent-runtime/src/config';
import { refuse } from '../../../../resources/agent-runtime/src/guard';
import { addSecret, logError, logInfo, messageOf } from '../../../../resources/agent-runtime/src/log';
import { ThreadStore, threadIdProblem } from '../../../../resources/agent-runtime/src/threads';
import { TraceClient } from '../../../../resources/agent-runtime/src/trace';
import type { CliThread, TurnEvent } from './cli-turn';
import { runCliTurn } from './cli-turn';
import type { CliDriver } from './driver';
import { verifyGateway } from './verify';

/** Version reported by `GET /health`. */
export const ADAPTER_VERSION = 'cli-adapter/1';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > LIMITS.bodyBytes)
      throw new HttpError(413, `request body exceeds ${LIMITS.bodyBytes} bytes (1 MiB); send a shorter text`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `{text, thread_id?}` and nothing else (PROTOCOL.md "HTTP"). @throws HttpError 400 naming the field. */
function parseTurn(raw: string): { text: string; threadId: string | null } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'body is not valid JSON; send {"text": "...", "thread_id"?: "..."}');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(400, 'body must be a JSON object: {"text": "...", "thread_id"?: "..."}');
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => k !== 'text' && k !== 'thread_id');
  if (extra.length) throw new HttpError(400, `unknown field "${extra[0]}"; valid fields: text, thread_id`);
  if (typeof b.text !== 'string' || !b.text.trim())
    throw new HttpError(400, 'field "text" must be a non-empty string');
  if (b.thread_id === undefined || b.thread_id === null) return { text: b.text, threadId: null };
  if (typeof b.thread_id !== 'string') throw new HttpError(400, 'field "thread_id" must be a string');
  const problem = threadIdProblem(b.thread_id);
  if (problem) throw new HttpError(400, `field ${problem}`);
  return { text: b.text, threadId: b.thread_id };
}

/** A running adapter. */
export interface CliAdapter {
  port: number;
  /** Stops accepting, cancels running turns (their CLIs are killed) and flushes the trace (≤ 2 s). */
  close(): Promise<void>;
}

/**
 * Serves the runtime protocol (resources/agent-runtime/PROTOCOL.md) for `driver` with the built-in
 * runtime's guard (runtime credential, no Origin, loopback or own-address Host, JSON bodies), its thread
 * files (`~/.agentdesk/threads/<id>.json`, here with the CLI's session id) and its trace client:
 * `GET /health`, `GET /verify` (the gateway lists the model, its key resolves, and one tiny request in
 * the CLI's API shape answers), `POST /turn` (one CLI run per turn, one turn per thread at a time),
 * `GET /threads/<id>`. @throws Error when the port cannot be bound.
 */
export async function startCliAdapter(
  driver: CliDriver,
  config: RuntimeConfig,
  env: Readonly<NodeJS.ProcessEnv>,
): Promise<CliAdapter> {
  addSecret(config.apiKey);
  addSecret(config.credential);
  await fs.mkdir(config.workspace, { recursive: true });
  const threads = new ThreadStore(config.threadsDir);
  const trace = new TraceClient({ baseUrl: config.baseUrl, apiKey: config.apiKey });
  const gateway = config.baseUrl.replace(/\/v1$/, '');
  const started = Date.now();
  const running = new Map<Promise<unknown>, AbortController>();

  const turn = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const input = parseTurn(await readBody(req));
    const threadId = input.threadId ?? randomUUID();
    const release = threads.acquire(threadId);
    if (!release) throw new HttpError(409, `a turn is already running on thread ${threadId}`);
    try {
      const thread: CliThread = (await threads.load(threadId)) ?? threads.create(threadId);
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.flushHeaders();
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      const emit = (e: TurnEvent) => {
        if (!res.writableEnded && !res.destroyed)
          res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
      };
      const work = runCliTurn({
        driver,
        model: config.model,
        thread,
        text: input.text,
        cwd: config.workspace,
        trace,
        emit,
        signal: abort.signal,
        env,
      });
      running.set(work, abort);
      try {
        await work;
      } finally {
        running.delete(work);
        clearInterval(heartbeat);
        await threads
          .save(thread)
          .catch((err: unknown) => logError('thread.failed', { thread: threadId, error: messageOf(err) }));
        res.end();
      }
    } finally {
      release();
    }
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? '/', 'http://adapter');
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
        version: ADAPTER_VERSION,
        uptime_ms: Date.now() - started,
      });
    }
    if (pathname === '/verify') {
      only('GET');
      const result = await verifyGateway(driver, config, gateway);
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
      sendJson(res, status, { error: { message } });
    });
  });
  server.requestTimeout = 0; // a turn streams for as long as the CLI works
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logInfo('listening', {
    host: config.host,
    port,
    model: config.model,
    harness: driver.label,
    version: ADAPTER_VERSION,
  });
  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const abort of running.values()) abort.abort();
      await Promise.allSettled([...running.keys()]);
      server.closeAllConnections();
      await closed;
      await trace.flush(2000);
    },
  };
}

/** Runs the adapter for `driver` from the container's environment until SIGTERM/SIGINT (exit 0); a bad environment exits 1. */
export function runCliAdapter(
  driver: CliDriver,
  env: Readonly<NodeJS.ProcessEnv>,
  load: (env: Readonly<NodeJS.ProcessEnv>) => RuntimeConfig,
): void {
  let config: RuntimeConfig;
  try {
    config = load(env);
  } catch (err) {
    logError('config.failed', { error: messageOf(err) });
    process.exit(1);
  }
  startCliAdapter(driver, config, env).then(
    (adapter) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        logInfo('stopping', { signal });
        void adapter.close().finally(() => process.exit(0));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (err: unknown) => {
      logError('start.failed', { error: messageOf(err) });
      process.exit(1);
    },
  );
}
