// A small JSON GET over a unix socket or TCP with a hard deadline, for health probes of local daemons (node:http).
import http from 'node:http';

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

/** Most bytes of a probe's answer read: a daemon's `/version` or `/1.0` is a few KB. */
const PROBE_BODY_MAX = 1024 * 1024;

/**
 * GETs `path` from `endpoint` and parses the JSON body. One connection of its own (node:http, no agent,
 * `socketPath` for a unix socket), closed afterwards; `Host: localhost`. node:http rather than undici: the
 * probes run at the core's start, and loading undici cost about 15 ms of it (bench/startup.mjs).
 * @param timeoutMs whole-request deadline in ms (connect + response + body).
 * @throws ProbeError with the socket error's code, `TIMEOUT`, `HTTP_<status>` for non-2xx, `RESPONSE`
 *   for a body that broke off or passed 1 MiB, or `BAD_JSON`.
 */
export function getJson(endpoint: Endpoint, path: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: ProbeError | null, value?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const req = http.request(
      {
        ...endpoint,
        path,
        method: 'GET',
        headers: { accept: 'application/json', host: 'localhost' },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > PROBE_BODY_MAX)
            settle(new ProbeError('RESPONSE', `The answer passed ${PROBE_BODY_MAX} bytes`));
          else chunks.push(c);
        });
        res.on('error', (err) => settle(new ProbeError('RESPONSE', err.message)));
        res.on('aborted', () => settle(new ProbeError('RESPONSE', 'The answer broke off')));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300)
            return settle(new ProbeError(`HTTP_${status}`, `HTTP ${status}: ${text.slice(0, 200)}`));
          try {
            settle(null, text.length ? JSON.parse(text) : null);
          } catch {
            settle(new ProbeError('BAD_JSON', `Not JSON: ${text.slice(0, 120)}`));
          }
        });
      },
    );
    const timer = setTimeout(
      () => settle(new ProbeError('TIMEOUT', `No answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) => settle(new ProbeError(err.code ?? 'ERROR', err.message)));
    req.end();
  });
}
