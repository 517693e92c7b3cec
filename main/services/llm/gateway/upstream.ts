// The gateway's client for LiteLLM: an undici pool per LiteLLM start, and its answers shaped like the IncomingMessage the relay reads.
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import type { Agent, Dispatcher } from 'undici';
import type * as Undici from 'undici';

/** undici, once {@link loadUpstreamClient} has loaded it. */
let undici: typeof Undici | null = null;

/**
 * Loads undici (about 100 ms of the core's start when imported eagerly, measured by bench/startup.mjs;
 * the bundler puts it in a chunk of its own). LitellmProcess awaits it before each spawn, so it is
 * loaded long before LiteLLM answers and the first {@link upstreamAgent} is made.
 */
export async function loadUpstreamClient(): Promise<void> {
  undici ??= await import('undici');
}

/**
 * Keep-alive connections for one LiteLLM start (a pool per origin; the origin is named per request, so
 * a target's `host`/`port` are read at each call). undici rather than `http.request`:
 * measured in bench/gateway.mjs, Node's client (ClientRequest, Agent, IncomingMessage) costs about as
 * much CPU per call as the rest of the gateway together. No limit on connections (as `maxSockets:
 * Infinity` before), no pipelining, and no time limit on the answer's headers or body: a model may think
 * for minutes before its first token (the caller's side has its own limits, see Gateway).
 * @throws Error before {@link loadUpstreamClient} has resolved.
 */
export function upstreamAgent(): Agent {
  if (!undici) throw new Error('upstreamAgent() before loadUpstreamClient() resolved');
  return new undici.Agent({
    connections: null,
    pipelining: 1,
    headersTimeout: 0,
    bodyTimeout: 0,
    // uvicorn (LiteLLM) closes idle connections after 5 s: drop ours first, so a call never meets a closing socket.
    keepAliveTimeout: 4_000,
    keepAliveTimeoutThreshold: 1_000,
  });
}

/**
 * LiteLLM's answer as the relay reads it: status, headers (lower-case names, as `http.IncomingMessage`)
 * and the body as `data`/`end`/`error` events, with `pause`/`resume` for backpressure and `pipe`.
 * Events are emitted as undici delivers them; listeners are added synchronously by the relay when the
 * answer starts, before any body chunk can arrive.
 */
export class UpstreamAnswer extends EventEmitter {
  constructor(
    readonly statusCode: number,
    readonly headers: http.IncomingHttpHeaders,
    private readonly controller: Dispatcher.DispatchController,
  ) {
    super();
    // An error without a listener would throw inside undici's parser: the relay's own listeners decide.
    this.on('error', () => {});
  }

  pause(): void {
    this.controller.pause();
  }

  resume(): void {
    this.controller.resume();
  }

  /** Writes the body to `res` as it arrives (pausing while `res` is full) and ends it with the body. */
  pipe(res: http.ServerResponse): http.ServerResponse {
    this.on('data', (c: Buffer) => {
      if (!res.write(c)) {
        this.pause();
        res.once('drain', () => this.resume());
      }
    });
    this.on('end', () => res.end());
    return res;
  }
}

/** One request to LiteLLM. */
export interface UpstreamRequest {
  /** `http://host:port`. */
  origin: string;
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders;
  /** The body, already read (`null` for GETs). */
  body: Buffer | null;
}

/** What happens to a request: its answer starts, or it fails before any answer. */
export interface UpstreamCallbacks {
  /** The status and headers arrived; the body follows as events of `answer`. */
  answer(answer: UpstreamAnswer): void;
  /** No answer: connection refused or reset, or the request was refused by the client (bad header). */
  error(err: NodeJS.ErrnoException): void;
}

/**
 * Sends `request` through `dispatcher` and reports the answer or the error (exactly one of the two;
 * errors after the answer started are the answer's `error` events). Returns `abort()`, which stops the
 * request or the body in progress (the caller went away); nothing is reported after it.
 */
export function sendUpstream(
  dispatcher: Dispatcher,
  request: UpstreamRequest,
  on: UpstreamCallbacks,
): { abort(): void } {
  let controller: Dispatcher.DispatchController | null = null;
  let answer: UpstreamAnswer | null = null;
  let aborted = false;
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (aborted) c.abort(new Error('aborted by the gateway'));
    },
    onResponseStart(c, statusCode, headers) {
      if (aborted || statusCode < 200) return; // 1xx: the real answer follows
      answer = new UpstreamAnswer(statusCode, headers, c);
      on.answer(answer);
    },
    onResponseData(_c, chunk) {
      answer?.emit('data', chunk);
    },
    onResponseEnd() {
      answer?.emit('end');
    },
    onResponseError(_c, err) {
      if (aborted) return;
      if (answer) answer.emit('error', err);
      else on.error(err);
    },
  };
  try {
    dispatcher.dispatch(
      {
        origin: request.origin,
        method: request.method,
        path: request.path,
        headers: request.headers as Record<string, string | string[]>,
        body: request.body,
      },
      handler,
    );
  } catch (err) {
    queueMicrotask(() => on.error(err as NodeJS.ErrnoException));
  }
  return {
    abort() {
      if (aborted) return;
      aborted = true;
      controller?.abort(new Error('aborted by the gateway'));
    },
  };
}
