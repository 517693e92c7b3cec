// HTTP to an agent's runtime over its endpoint (TCP or unix socket), with the runtime credential only the core holds.
import http from 'node:http';
import { Readable } from 'node:stream';
import type { RuntimeEndpoint } from '../runtimes/container-runtime';

/** The endpoint as stored and shown: `http://<host>:<port>` or `unix:<socket path>`. */
export function endpointText(e: RuntimeEndpoint): string {
  if (e.kind === 'unix') return `unix:${e.socketPath}`;
  return `http://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
}

/**
 * Parses {@link endpointText}'s form back.
 * @throws Error for any other text.
 */
export function parseEndpoint(text: string): RuntimeEndpoint {
  if (text.startsWith('unix:/')) return { kind: 'unix', socketPath: text.slice(5) };
  const u = new URL(text);
  if (u.protocol !== 'http:' || !u.port) throw new Error(`Not a runtime endpoint: ${text}`);
  return { kind: 'tcp', host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
}

/** The published 127.0.0.1 port of an endpoint (the contract's `runtime_port`), else null. */
export function publishedPort(e: RuntimeEndpoint | null): number | null {
  return e?.kind === 'tcp' && e.host === '127.0.0.1' ? e.port : null;
}

/** A request to a runtime. */
export interface RuntimeRequest {
  method?: 'GET' | 'POST';
  /** JSON text (sent as `application/json`). */
  body?: string;
  accept?: string;
  signal?: AbortSignal;
}

/**
 * Sends one request to the runtime at `endpoint` (resources/agent-runtime/PROTOCOL.md "Authentication")
 * with `Authorization: Bearer <credential>` and a loopback `Host` (`localhost` over a unix socket), and
 * answers a web `Response` whose body streams (Server-Sent Events of a turn). The connection is not
 * pooled: a turn holds its own.
 * @throws Error with the socket error as `cause` (ECONNREFUSED, ENOENT …) or the signal's reason.
 */
export function runtimeFetch(
  endpoint: RuntimeEndpoint,
  credential: string | null,
  path: string,
  init: RuntimeRequest = {},
): Promise<Response> {
  const headers: http.OutgoingHttpHeaders = {
    Accept: init.accept ?? 'application/json',
    Host: endpoint.kind === 'unix' ? 'localhost' : `${endpoint.host}:${endpoint.port}`,
  };
  if (credential) headers.Authorization = `Bearer ${credential}`;
  if (init.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = Buffer.byteLength(init.body);
  }
  const where =
    endpoint.kind === 'unix'
      ? { socketPath: endpoint.socketPath }
      : { host: endpoint.host, port: endpoint.port };
  return new Promise<Response>((resolve, reject) => {
    if (init.signal?.aborted) return reject(init.signal.reason as Error);
    const req = http.request({ ...where, path, method: init.method ?? 'GET', headers, agent: false });
    const onAbort = (): void => {
      req.destroy(init.signal?.reason as Error);
    };
    init.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => reject(new Error(`fetch failed: ${err.message}`, { cause: err })));
    req.on('response', (res) => {
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
      res.on('close', () => init.signal?.removeEventListener('abort', onAbort));
      const body = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
      resolve(new Response(body, { status: res.statusCode ?? 502, headers: h }));
    });
    req.end(init.body);
  });
}
