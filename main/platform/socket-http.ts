// A small JSON GET over a unix socket or TCP with a hard deadline, for health probes of local daemons.
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

/**
 * GETs `path` from `endpoint` and parses the JSON body.
 * @param timeoutMs whole-request deadline in ms (connect + response).
 * @throws ProbeError with the socket error's code, `TIMEOUT`, `HTTP_<status>` for non-2xx, or `BAD_JSON`.
 */
export function getJson(endpoint: Endpoint, path: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { ...endpoint, path, method: 'GET', headers: { Accept: 'application/json', Host: 'localhost' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300)
            return reject(new ProbeError(`HTTP_${status}`, `HTTP ${status}: ${text.slice(0, 200)}`));
          try {
            resolve(text.length ? JSON.parse(text) : null);
          } catch {
            reject(new ProbeError('BAD_JSON', `Not JSON: ${text.slice(0, 120)}`));
          }
        });
        res.on('error', (err) => reject(new ProbeError('RESPONSE', err.message)));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new ProbeError('TIMEOUT', `No answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ProbeError(err.code ?? 'ERROR', err.message));
    });
    req.end();
  });
}
