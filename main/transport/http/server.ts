// The HTTP transport: POST /api/<group>/<method>, SSE on GET /api/events, the built renderer; 127.0.0.1 only.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS } from '../../../contract/errors';
import type { ErrorBody, ErrorCode, Result } from '../../../contract/errors';
import type { EventBus } from '../../platform/event-bus';
import type { Logger } from '../../platform/logging';
import type { Dispatcher } from '../dispatch';
import { bearerMatches, hostAllowed, originAllowed } from './guards';

/**
 * Content-Security-Policy sent with every page of the renderer: nothing remote, no inline script. The one
 * style hash is the `<style>` emoji-picker-react 4 injects (its CSS is also loaded as a stylesheet, so a
 * picker upgrade that changes the hash only costs a console warning).
 */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'sha256-liYS2EkGkEQctGOAw0hqzCeXkYGF6UDpaCJkOt8cDSE='; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Largest request body accepted by the control API, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Interval of SSE keep-alive comments, in ms. */
const SSE_PING_MS = 15_000;

export interface HttpTransportOptions {
  dispatcher: Dispatcher;
  bus: EventBus;
  log: Logger;
  /** Bearer token every /api request must carry. */
  token: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
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

function fail(
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): FastifyReply {
  const error: ErrorBody = details ? { code, message, details } : { code, message };
  return reply
    .code(ERROR_STATUS[code])
    .type('application/json')
    .send({ ok: false, error } satisfies Result<never>);
}

/**
 * Starts the HTTP transport on 127.0.0.1 (never another interface).
 * Every request must name us in `Host` (DNS-rebinding defence) → else 403; `/api/*` also needs
 * our own `Origin` or none → else 403, and the bearer token → else 401. Errors are envelopes with
 * the status of their code; nothing a client sends produces a 500.
 * @throws Error when the port cannot be bound (e.g. EADDRINUSE).
 */
export async function startHttpTransport(opts: HttpTransportOptions): Promise<HttpTransport> {
  const server = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    requestTimeout: 30_000,
    return503OnClosing: true,
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
    if (!hostAllowed(req.headers.host, port))
      return fail(
        reply,
        'FORBIDDEN',
        `Host "${req.headers.host ?? ''}" is not allowed: use http://127.0.0.1:${port}`,
      );
    if (req.url.startsWith('/api/')) {
      if (!originAllowed(req.headers.origin, port))
        return fail(reply, 'FORBIDDEN', `Origin "${req.headers.origin ?? ''}" is not allowed`);
      if (!bearerMatches(req.headers.authorization, opts.token)) {
        return fail(
          reply,
          'UNAUTHORIZED',
          'Missing or wrong access token: send "Authorization: Bearer <token>" with the token from control.json',
        );
      }
    }
    return undefined;
  });

  server.addHook('onSend', async (req, reply, payload) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    if (req.url.startsWith('/api/')) reply.header('Cache-Control', 'no-store');
    else reply.header('Content-Security-Policy', RENDERER_CSP);
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

  server.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/'))
      return fail(
        reply,
        'NOT_FOUND',
        `No such endpoint: ${req.method} ${req.url.split('?')[0] ?? ''}. Calls are POST /api/<group>/<method>; events are GET /api/events`,
      );
    return reply.code(404).type('text/plain').send('Not found');
  });

  server.get('/api/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write(': connected\n\n');
    const unsubscribe = opts.bus.onAny((name, payload) => {
      res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), SSE_PING_MS);
    const end = () => {
      clearInterval(ping);
      unsubscribe();
      streams.delete(end);
      if (!res.writableEnded) res.end();
    };
    streams.add(end);
    req.raw.on('close', end);
  });

  server.post(
    '/api/:group/:method',
    async (req: FastifyRequest<{ Params: { group: string; method: string } }>, reply) => {
      const { group, method } = req.params;
      const result = await opts.dispatcher.dispatch(`${group}.${method}`, req.body, { transport: 'http' });
      if (result.ok) return reply.code(200).type('application/json').send(result);
      return reply
        .code(ERROR_STATUS[result.error.code] ?? 500)
        .type('application/json')
        .send(result);
    },
  );

  server.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/api/:group/:method',
    handler: (req, reply) => fail(reply, 'METHOD_NOT_ALLOWED', `Use POST for ${req.url.split('?')[0] ?? ''}`),
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

  await server.listen({ host: '127.0.0.1', port: opts.port });
  port = (server.server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
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
