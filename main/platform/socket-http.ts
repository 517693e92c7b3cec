// A small JSON GET over a unix socket or TCP with a hard deadline, for health probes of local daemons (undici).
import type * as Undici from 'undici';

/** undici, loaded by the first probe (about 50 ms of the core's start when imported eagerly). */
let undici: Promise<typeof Undici> | null = null;

/** Where an HTTP API listens: a unix socket path, or host and port. */
export type Endpoint = { socketPath: string } | { host: string; port: number };

/** A failed probe: `code` is the Node error code (ENOENT, ECONNREFUSED, EACCES, TIMEOUT, HTTP_<status>). */
export class ProbeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

/**
 * GETs `path` from `endpoint` and parses the JSON body. One connection of its own (an undici `Agent`,
 * with `connect.socketPath` for a unix socket), closed afterwards; `Host: localhost`.
 * @param timeoutMs whole-request deadline in ms (connect + response + body).
 * @throws ProbeError with the socket error's code, `TIMEOUT`, `HTTP_<status>` for non-2xx, `RESPONSE`
 *   for a body that broke off, or `BAD_JSON`.
 */
export async function getJson(endpoint: Endpoint, path: string, timeoutMs: number): Promise<unknown> {
  const { Agent, request } = await (undici ??= import('undici'));
  const unix = 'socketPath' in endpoint;
  const dispatcher = new Agent({ connect: unix ? { socketPath: endpoint.socketPath } : {} });
  const origin = unix ? 'http://localhost' : `http://${endpoint.host}:${endpoint.port}`;
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  const failure = (err: unknown, code?: string) =>
    timedOut
      ? new ProbeError('TIMEOUT', `No answer within ${timeoutMs} ms`)
      : new ProbeError(
          code ?? (err as NodeJS.ErrnoException).code ?? 'ERROR',
          (err as Error).message ?? String(err),
        );
  try {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(`${origin}${path}`, {
        dispatcher,
        method: 'GET',
        headers: { accept: 'application/json', host: 'localhost' },
        signal: abort.signal,
      });
    } catch (err) {
      throw failure(err);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw failure(err, 'RESPONSE');
    }
    const status = res.statusCode;
    if (status < 200 || status >= 300)
      throw new ProbeError(`HTTP_${status}`, `HTTP ${status}: ${text.slice(0, 200)}`);
    try {
      return text.length ? JSON.parse(text) : null;
    } catch {
      throw new ProbeError('BAD_JSON', `Not JSON: ${text.slice(0, 120)}`);
    }
  } finally {
    clearTimeout(timer);
    void dispatcher.destroy().catch(() => {});
  }
}
