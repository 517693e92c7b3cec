// The HTTP transport: the /api plugin (calls and SSE), the built renderer, Host and canonical-path checks; 127.0.0.1, or any address over TLS.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { EventBus } from '../../platform/event-bus';
import type { Logger } from '../../platform/logging';
import type { Dispatcher } from '../dispatch';
import { RENDERER_CSP } from '../csp';
import { apiRoutes } from './api-routes';
import { pathProblem } from './canonical-path';
import { hostAllowed, isLoopbackHost } from './guards';
import type { ServedNames } from './guards';
import { fail } from './reply';

/** Largest request body accepted by the control API, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpTransportOptions {
  dispatcher: Dispatcher;
  bus: EventBus;
  log: Logger;
  /** Bearer token every /api request must carry. */
  token: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /**
   * Address to listen on (default `127.0.0.1`). Anything but a loopback address needs `tls`: the
   * control API is never plain HTTP on a network.
   */
  host?: string;
  /** Serve HTTPS with this certificate and key (PEM) instead of plain HTTP. */
  tls?: { certPem: string; keyPem: string };
  /** Host names or addresses requests may name besides the loopback ones (Host and Origin checks). */
  hostNames?: readonly string[];
  /** Built renderer to serve at `/`; `null` or a missing dir serves a notice instead. */
  rendererDir: string | null;
}

/** A listening HTTP transport. */
export interface HttpTransport {
  port: number;
  url: string;
  /** Closes the server and every open SSE stream. */
  close(): Promise<void>;
  /** The fastify instance (tests use `inject`). */
  server: FastifyInstance;
}

/** Thrown when the transport is asked to serve plain HTTP on an address other machines can reach. */
export class PlainHttpOnNetworkError extends Error {
  constructor(host: string) {
    super(
      `Refusing to serve plain HTTP on ${host}: other machines could read the access token and everything the API carries. Serve over TLS (\`agentdesk serve --tls --listen ${host.includes(':') ? `[${host}]` : host}:PORT\`), or keep 127.0.0.1 and attach through SSH (\`agentdesk --remote ssh://user@host …\`).`,
    );
    this.name = 'PlainHttpOnNetworkError';
  }
}

/**
 * The router's options, explicit so a change of fastify's defaults cannot open a second spelling of an
 * /api route. `useSemicolonDelimiter: false`: `/api/x;y` is the path `/api/x;y`, never `/api/x` with a
 * query. It sits here, not at the top level where fastify 5 reads it with a deprecation warning
 * (FSTDEP022); fastify's `FastifyRouterOptions` type does not list it yet (find-my-way does), hence a
 * constant rather than an object literal.
 */
const ROUTER_OPTIONS = {
  caseSensitive: true,
  ignoreTrailingSlash: false,
  ignoreDuplicateSlashes: false,
  useSemicolonDelimiter: false,
};

/**
 * Starts the HTTP transport on 127.0.0.1, or on `host` when it is served over `tls` (plain HTTP is
 * never bound to another interface). Every request, in this order:
 * 1. must name us in `Host` (DNS-rebinding defence) → else 403;
 * 2. must have a path in canonical form ({@link pathProblem}: no percent-escaped unreserved characters,
 *    no encoded or doubled slashes, no dot segments, no absolute-form target) → else 400 — in the first
 *    hook, before any route's own hook or handler runs;
 * 3. under `/api`, the `/api` plugin's own hook ({@link apiRoutes}) wants our own `Origin` or none
 *    → else 403, and the bearer token → else 401.
 * The router is case-sensitive and keeps trailing and duplicate slashes significant, so `/API/…` and
 * `/api//…` never match an `/api` route. Errors are envelopes with the status of their code; nothing a
 * client sends produces a 500.
 * @throws PlainHttpOnNetworkError for a non-loopback `host` without `tls`; Error when the port cannot be
 *   bound (e.g. EADDRINUSE).
 */

export async function startHttpTransport(opts: HttpTransportOptions): Promise<HttpTransport> {
  const host = opts.host ?? '127.0.0.1';
  if (!opts.tls && !isLoopbackHost(host)) throw new PlainHttpOnNetworkError(host);
  const served: ServedNames = {
    names: (opts.hostNames ?? []).map((n) => n.toLowerCase()),
    scheme: opts.tls ? 'https' : 'http',
  };
  const server = Fastify({
    ...(opts.tls
      ? { https: { cert: opts.tls.certPem, key: opts.tls.keyPem, minVersion: 'TLSv1.2' as const } }
      : {}),
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    requestTimeout: 30_000,
    return503OnClosing: true,
    routerOptions: ROUTER_OPTIONS,
    // Malformed escapes (`%zz`), over-long parameters: refused by the router itself, answered as envelopes.
    frameworkErrors: (err, _req, reply) => {
      void fail(reply, 'INVALID_INPUT', `The path is not valid: ${err.message}`);
    },
  });
  let port = opts.port;
  const streams = new Set<() => void>();

  server.removeAllContentTypeParsers();
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      const e = new Error(`Body is not valid JSON: ${(err as Error).message}`) as Error & {
        statusCode: number;
        code: string;
      };
      e.statusCode = 400;
      e.code = 'BAD_JSON';
      done(e, undefined);
    }
  });

  server.addHook('onRequest', async (req, reply) => {
    if (!hostAllowed(req.headers.host, port, served))
      return fail(
        reply,
        'FORBIDDEN',
        `Host "${req.headers.host ?? ''}" is not allowed: use ${served.scheme}://127.0.0.1:${port}`,
      );
    const problem = pathProblem(req.raw.url ?? '');
    if (problem)
      return fail(
        reply,
        'INVALID_INPUT',
        `The path ${JSON.stringify((req.raw.url ?? '').split('?')[0]!.slice(0, 200))} is not in canonical form: ${problem}. Write it plainly, e.g. POST /api/system/info`,
      );
    return undefined;
  });

  server.addHook('onSend', async (_req, reply, payload) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    reply.header('Content-Security-Policy', RENDERER_CSP);
    return payload;
  });

  server.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413)
      return fail(reply, 'PAYLOAD_TOO_LARGE', `Body larger than ${MAX_BODY_BYTES} bytes`);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415)
      return fail(reply, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
    if (status >= 400 && status < 500) return fail(reply, 'INVALID_INPUT', err.message);
    opts.log.error({ err }, 'http transport error');
    return fail(reply, 'INTERNAL', 'Internal error; see the log for details');
  });

  server.setNotFoundHandler((_req, reply) => reply.code(404).type('text/plain').send('Not found'));

  await server.register(apiRoutes, {
    prefix: '/api',
    dispatcher: opts.dispatcher,
    bus: opts.bus,
    token: opts.token,
    port: () => port,
    served,
    streams,
  });

  if (opts.rendererDir && fs.existsSync(opts.rendererDir)) {
    await server.register(fastifyStatic, {
      root: opts.rendererDir,
      index: ['index.html'],
      wildcard: true,
      dotfiles: 'deny',
    });
  } else {
    server.get('/', (_req, reply) =>
      reply
        .code(503)
        .type('text/plain')
        .send('The renderer is not built: run `npm run build`, then restart `agentdesk serve`.'),
    );
  }

  await server.listen({ host, port: opts.port });
  port = (server.server.address() as AddressInfo).port;
  const shownHost = isLoopbackHost(host) || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `${served.scheme}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  return {
    port,
    url,
    server,
    close: async () => {
      for (const end of [...streams]) end();
      await server.close();
    },
  };
}
