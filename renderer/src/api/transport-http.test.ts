// Unit tests of the HTTP transport against a scripted fake fetch (calls, errors, SSE stream, reconnects).
import { describe, expect, it, vi } from 'vitest';
import type { ReachSignal } from './connection';
import { isUnreachableError } from './connection';
import { createHttpTransport } from './transport-http';
import { EVENT_FRAME_MAX_CHARS } from '../../../contract/events';

const BASE = 'http://127.0.0.1:4000';
const encoder = new TextEncoder();

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** A response whose body is an SSE stream we push chunks into by hand. */
function sseResponse(): { response: Response; push(text: string): void; end(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    response: new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }),
    push: (text) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

/** Timers that run only when the test says so. */
function manualTimers(): {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (h: unknown) => void;
  pending: () => { fn: () => void; ms: number }[];
  runAll: () => void;
} {
  let next = 1;
  const timers = new Map<number, { fn: () => void; ms: number }>();
  return {
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.set(id, { fn, ms });
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    pending: () => [...timers.values()],
    runAll: () => {
      const all = [...timers.entries()];
      timers.clear();
      for (const [, t] of all) t.fn();
    },
  };
}

describe('HTTP transport calls', () => {
  it('POSTs JSON to /api/<group>/<method> with the bearer token and returns the envelope', async () => {
    const fetch = vi.fn(() => Promise.resolve(json(200, { ok: true, value: { version: '0.1.0' } })));
    const reach: ReachSignal[] = [];
    const t = createHttpTransport({ token: 'tok', baseUrl: BASE, fetch, onReach: (s) => reach.push(s) });
    const result = await t.invoke('system.info', {});
    expect(result).toEqual({ ok: true, value: { version: '0.1.0' } });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(`${BASE}/api/system/info`);
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(init.body).toBe('{}');
    expect(reach).toEqual(['reachable']);
  });

  it('passes an error envelope through with its code, message and details', async () => {
    const error = {
      code: 'INVALID_INPUT',
      message: 'trace_retention_days: too small',
      details: { issues: [] },
    };
    const t = createHttpTransport({
      token: 't',
      baseUrl: BASE,
      fetch: () => Promise.resolve(json(400, { ok: false, error })),
    });
    expect(await t.invoke('settings.update', { trace_retention_days: 0 })).toEqual({ ok: false, error });
  });

  it('turns a network failure into UNAVAILABLE/unreachable and reports it', async () => {
    const reach: ReachSignal[] = [];
    const t = createHttpTransport({
      token: 't',
      baseUrl: BASE,
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
      onReach: (s) => reach.push(s),
    });
    const result = await t.invoke('system.health', {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(isUnreachableError(result.error)).toBe(true);
    expect(reach).toEqual(['unreachable']);
  });

  it('names an answer without an envelope by its HTTP status', async () => {
    const t = createHttpTransport({
      token: 't',
      baseUrl: BASE,
      fetch: () => Promise.resolve(new Response('Bad Gateway', { status: 502 })),
    });
    const result = await t.invoke('system.health', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'UPSTREAM' } });
  });

  it('reports a refused token as unauthorized', async () => {
    const reach: ReachSignal[] = [];
    const error = { code: 'UNAUTHORIZED', message: 'bad token' };
    const t = createHttpTransport({
      token: 't',
      baseUrl: BASE,
      fetch: () => Promise.resolve(json(401, { ok: false, error })),
      onReach: (s) => reach.push(s),
    });
    expect(await t.invoke('system.info', {})).toEqual({ ok: false, error });
    expect(reach).toEqual(['unauthorized']);
  });

  it('gives up on a call with no answer after callTimeoutMs, with TIMEOUT', async () => {
    const fetch = (_url: string | URL | Request, init?: RequestInit): Promise<Response> =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
      );
    const t = createHttpTransport({ token: 't', baseUrl: BASE, fetch, callTimeoutMs: 20 });
    expect(await t.invoke('system.health', { refresh: true })).toMatchObject({
      ok: false,
      error: { code: 'TIMEOUT' },
    });
  });
});

describe('HTTP transport events', () => {
  it('reads SSE from /api/events with the token and delivers parsed payloads by event name', async () => {
    const stream = sseResponse();
    const fetch = vi.fn(() => Promise.resolve(stream.response));
    const t = createHttpTransport({ token: 'tok', baseUrl: BASE, fetch });
    const got: unknown[] = [];
    t.on('health.changed', (p) => got.push(p));
    stream.push(': ping\n\nevent: health.changed\ndata: {"checked_at":');
    stream.push('5,"components":[]}\n\nevent: other\ndata: {}\n\n');
    await vi.waitFor(() => expect(got).toEqual([{ checked_at: 5, components: [] }]));
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(`${BASE}/api/events`);
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    t.close();
  });

  it('opens one stream for many listeners and stops delivering after unsubscribe', async () => {
    const stream = sseResponse();
    const fetch = vi.fn(() => Promise.resolve(stream.response));
    const t = createHttpTransport({ token: 't', baseUrl: BASE, fetch });
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = t.on('settings.changed', (p) => a.push(p));
    t.on('settings.changed', (p) => b.push(p));
    stream.push('event: settings.changed\ndata: 1\n\n');
    await vi.waitFor(() => expect(b).toEqual([1]));
    offA();
    stream.push('event: settings.changed\ndata: 2\n\n');
    await vi.waitFor(() => expect(b).toEqual([1, 2]));
    expect(a).toEqual([1]);
    expect(fetch).toHaveBeenCalledTimes(1);
    t.close();
  });

  it('reconnects after the stream drops, and reports unreachable then reachable', async () => {
    const first = sseResponse();
    const second = sseResponse();
    const responses = [first.response, second.response];
    const timers = manualTimers();
    const reach: ReachSignal[] = [];
    const fetch = vi.fn(() =>
      responses.length > 0 ? Promise.resolve(responses.shift()!) : Promise.reject(new TypeError('down')),
    );
    const t = createHttpTransport({
      token: 't',
      baseUrl: BASE,
      fetch,
      onReach: (s) => reach.push(s),
      ...timers,
    });
    const got: unknown[] = [];
    t.on('health.changed', (p) => got.push(p));
    first.push('event: health.changed\ndata: 1\n\n');
    await vi.waitFor(() => expect(got).toEqual([1]));
    first.end();
    await vi.waitFor(() => expect(reach).toEqual(['reachable', 'unreachable']));
    const retry = timers.pending().find((p) => p.ms < 60_000);
    expect(retry?.ms).toBeLessThanOrEqual(600);
    timers.runAll();
    second.push('event: health.changed\ndata: 2\n\n');
    await vi.waitFor(() => expect(got).toEqual([1, 2]));
    expect(reach).toEqual(['reachable', 'unreachable', 'reachable']);
    t.close();
  });

  it('drops a stream that sends more than EVENT_FRAME_MAX_CHARS without ending an event, and reconnects', async () => {
    const first = sseResponse();
    const second = sseResponse();
    const responses = [first.response, second.response];
    const timers = manualTimers();
    const reach: ReachSignal[] = [];
    const t = createHttpTransport({
      token: 't',
      baseUrl: BASE,
      fetch: () => Promise.resolve(responses.shift()!),
      onReach: (s) => reach.push(s),
      ...timers,
    });
    const got: unknown[] = [];
    t.on('health.changed', (p) => got.push(p));
    first.push('event: health.changed\ndata: 1\n\n');
    await vi.waitFor(() => expect(got).toEqual([1]));
    // An endless data line: a hostile or broken stream must not grow the window's memory without bound.
    const slab = 'x'.repeat(1024 * 1024);
    first.push('data: ');
    for (let i = 0; i <= EVENT_FRAME_MAX_CHARS / slab.length; i++) first.push(slab);
    await vi.waitFor(() => expect(reach).toEqual(['reachable', 'unreachable']), { timeout: 10_000 });
    timers.runAll();
    second.push('event: health.changed\ndata: 2\n\n');
    await vi.waitFor(() => expect(got).toEqual([1, 2]));
    t.close();
  });

  it('backs off further after each failed reconnect', async () => {
    const timers = manualTimers();
    const fetch = vi.fn(() => Promise.reject(new TypeError('down')));
    const t = createHttpTransport({
      token: 't',
      baseUrl: BASE,
      fetch,
      backoff: { initialMs: 100, maxMs: 1000, jitter: 0 },
      ...timers,
    });
    t.on('health.changed', () => undefined);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      await vi.waitFor(() => expect(timers.pending().some((p) => p.ms <= 1000)).toBe(true));
      delays.push(timers.pending().find((p) => p.ms <= 1000)!.ms);
      timers.runAll();
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000]);
    t.close();
  });

  it('stops for good when the stream answers 401', async () => {
    const timers = manualTimers();
    const reach: ReachSignal[] = [];
    const fetch = vi.fn(() =>
      Promise.resolve(json(401, { ok: false, error: { code: 'UNAUTHORIZED', message: 'no' } })),
    );
    const t = createHttpTransport({
      token: 't',
      baseUrl: BASE,
      fetch,
      onReach: (s) => reach.push(s),
      ...timers,
    });
    t.on('health.changed', () => undefined);
    await vi.waitFor(() => expect(reach).toEqual(['unauthorized']));
    await new Promise((r) => setTimeout(r, 10));
    expect(timers.pending().filter((p) => p.ms < 60_000)).toEqual([]);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('drops a silent stream after idleTimeoutMs and reconnects', async () => {
    const first = sseResponse();
    const second = sseResponse();
    const responses = [first.response, second.response];
    const fetch = vi.fn(() => Promise.resolve(responses.shift()!));
    const t = createHttpTransport({
      token: 't',
      baseUrl: BASE,
      fetch,
      idleTimeoutMs: 30,
      backoff: { initialMs: 1, maxMs: 1, jitter: 0 },
    });
    const got: unknown[] = [];
    t.on('health.changed', (p) => got.push(p));
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(2), { timeout: 2000 });
    second.push('event: health.changed\ndata: 3\n\n');
    await vi.waitFor(() => expect(got).toEqual([3]));
    t.close();
  });

  it('close() ends the stream and prevents reconnects', async () => {
    const stream = sseResponse();
    const timers = manualTimers();
    const fetch = vi.fn(() => Promise.resolve(stream.response));
    const reach: ReachSignal[] = [];
    const t = createHttpTransport({
      token: 't',
      baseUrl: BASE,
      fetch,
      onReach: (s) => reach.push(s),
      ...timers,
    });
    t.on('health.changed', () => undefined);
    await vi.waitFor(() => expect(reach).toEqual(['reachable']));
    t.close();
    await new Promise((r) => setTimeout(r, 10));
    expect(reach).toEqual(['reachable']);
    expect(timers.pending().filter((p) => p.ms < 60_000)).toEqual([]);
  });
});
