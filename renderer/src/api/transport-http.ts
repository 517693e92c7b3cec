// HTTP transport for `agentdesk serve`: POST /api/<group>/<method> with a bearer token, events over SSE.
import { ERROR_CODES, ERROR_STATUS } from '../../../contract/errors';
import type { ErrorCode, Result } from '../../../contract/errors';
import type { Transport } from '../../../contract/client';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff';
import type { BackoffOptions } from './backoff';
import { UNREACHABLE_DETAILS, UNREACHABLE_MESSAGE } from './connection';
import type { ReachListener } from './connection';
import { SseParser } from './sse-parser';

/** What the HTTP transport needs; everything but `token` has a browser default. */
export interface HttpTransportOptions {
  /** Bearer token printed by `agentdesk serve` (in `#token=`). */
  token: string;
  /** Origin of the core, e.g. `http://127.0.0.1:4000`; default: the page's own origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Told whether the core answered, for the connection banner. */
  onReach?: ReachListener;
  /** A call that gets no answer within this many ms fails with TIMEOUT. Default 60 000. */
  callTimeoutMs?: number;
  /** The event stream is dropped and reopened when nothing (not even `: ping`) arrives for this long. Default 60 000. */
  idleTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Injectable timers, for tests. */
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

/** The transport plus a way to stop its event stream. */
export interface HttpTransport extends Transport {
  /** Stops the event stream and its reconnects; pending calls still settle. */
  close(): void;
}

/** HTTP status → contract error code, for answers that do not carry an envelope. */
function codeForStatus(status: number): ErrorCode {
  const match = ERROR_CODES.find((c) => ERROR_STATUS[c] === status);
  return match ?? (status >= 500 ? 'INTERNAL' : 'INVALID_INPUT');
}

function isEnvelope(body: unknown): body is Result<unknown> {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (b.ok === true) return 'value' in b;
  return b.ok === false && typeof b.error?.code === 'string' && typeof b.error.message === 'string';
}

/**
 * Builds the HTTP transport (contract/api.ts over HTTP + SSE). Calls never reject: a network failure becomes
 * `{ok:false, error:{code:'UNAVAILABLE', details:{reason:'unreachable'}}}`, a call with no answer within
 * `callTimeoutMs` becomes TIMEOUT, and an answer without an envelope becomes an error named by its HTTP status.
 * Events are read from `GET /api/events` with `fetch` (EventSource cannot send the Authorization header);
 * the stream opens with the first `on()` and reconnects with backoff when it drops, until {@link HttpTransport.close}
 * or a 401.
 */
export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = (options.baseUrl ?? globalThis.location.origin).replace(/\/$/, '');
  const auth = `Bearer ${options.token}`;
  const onReach = options.onReach ?? (() => undefined);
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const setTimer = options.setTimeout ?? ((fn: () => void, ms: number) => globalThis.setTimeout(fn, ms));
  const clearTimer = options.clearTimeout ?? ((h: unknown) => globalThis.clearTimeout(h as number));

  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let streamStarted = false;
  let closed = false;
  let streamAbort: AbortController | null = null;
  let retryTimer: unknown = null;

  async function invoke(channel: string, input: unknown): Promise<Result<unknown>> {
    const dot = channel.indexOf('.');
    const path = `/api/${encodeURIComponent(channel.slice(0, dot))}/${encodeURIComponent(channel.slice(dot + 1))}`;
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimer(() => {
      timedOut = true;
      abort.abort();
    }, callTimeoutMs);
    try {
      const res = await doFetch(base + path, {
        method: 'POST',
        headers: { Authorization: auth, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(input ?? {}),
        signal: abort.signal,
        cache: 'no-store',
      });
      onReach(res.status === 401 ? 'unauthorized' : 'reachable');
      let body: unknown = undefined;
      try {
        body = await res.json();
      } catch {
        body = undefined;
      }
      if (isEnvelope(body)) return body;
      return {
        ok: false,
        error: {
          code: codeForStatus(res.status),
          message: `Unexpected answer from the core to ${channel} (HTTP ${res.status})`,
        },
      };
    } catch {
      if (timedOut) {
        return {
          ok: false,
          error: {
            code: 'TIMEOUT',
            message: `The core did not answer ${channel} within ${callTimeoutMs / 1000} s`,
          },
        };
      }
      onReach('unreachable');
      return {
        ok: false,
        error: { code: 'UNAVAILABLE', message: UNREACHABLE_MESSAGE, details: { ...UNREACHABLE_DETAILS } },
      };
    } finally {
      clearTimer(timer);
    }
  }

  function emit(event: string, data: string): void {
    const set = listeners.get(event);
    if (!set || set.size === 0) return;
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      console.warn(`agentdesk: dropped event ${event} with invalid JSON`);
      return;
    }
    for (const listener of [...set]) listener(payload);
  }

  /** Reads one connection of the event stream until it ends; returns whether to reconnect. */
  async function readStreamOnce(): Promise<'retry' | 'stop' | 'connected-then-dropped'> {
    const abort = new AbortController();
    streamAbort = abort;
    let idleTimer: unknown = null;
    const armIdle = (): void => {
      if (idleTimer !== null) clearTimer(idleTimer);
      idleTimer = setTimer(() => abort.abort(), idleTimeoutMs);
    };
    armIdle();
    let connected = false;
    try {
      const res = await doFetch(`${base}/api/events`, {
        headers: { Authorization: auth, Accept: 'text/event-stream' },
        signal: abort.signal,
        cache: 'no-store',
      });
      if (res.status === 401) {
        onReach('unauthorized');
        return 'stop';
      }
      if (!res.ok || !res.body) {
        onReach('reachable');
        return 'retry';
      }
      connected = true;
      onReach('reachable');
      const parser = new SseParser((e) => emit(e.event, e.data));
      const reader = res.body.getReader();
      // Real fetch ends the body on abort; cancelling here as well also covers bodies that ignore the signal.
      abort.signal.addEventListener('abort', () => void reader.cancel().catch(() => undefined), {
        once: true,
      });
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        armIdle();
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // Network error, idle abort, close(), or a frame longer than the parser buffers (SseFrameTooLongError):
      // the connection is closed (a no-op when it already ended) and handled below.
      abort.abort();
    } finally {
      if (idleTimer !== null) clearTimer(idleTimer);
      if (streamAbort === abort) streamAbort = null;
    }
    if (closed) return 'stop';
    onReach('unreachable');
    return connected ? 'connected-then-dropped' : 'retry';
  }

  /** Opens the stream; after a drop waits `backoffDelay(failures)` (reset to 0 once a connection succeeded). */
  function runStream(failures: number): void {
    retryTimer = null;
    void readStreamOnce().then((outcome) => {
      if (closed || outcome === 'stop') return;
      const f = outcome === 'connected-then-dropped' ? 0 : failures;
      retryTimer = setTimer(() => runStream(f + 1), backoffDelay(f, backoff));
    });
  }

  return {
    invoke,
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      set.add(listener);
      if (!streamStarted && !closed) {
        streamStarted = true;
        runStream(0);
      }
      return () => {
        set.delete(listener);
      };
    },
    close() {
      closed = true;
      if (retryTimer !== null) clearTimer(retryTimer);
      streamAbort?.abort();
    },
  };
}
