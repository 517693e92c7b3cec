// The `/api` plugin of the HTTP transport: every control route, behind its own Origin and bearer-token hook.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ERROR_STATUS } from '../../../contract/errors';
import type { EventBus } from '../../platform/event-bus';
import type { Dispatcher } from '../dispatch';
import { bearerMatches, originAllowed } from './guards';
import type { ServedNames } from './guards';
import { fail } from './reply';

/** Interval of SSE keep-alive comments, in ms. */
const SSE_PING_MS = 15_000;

/** What the `/api` plugin needs. */
export interface ApiRoutesOptions {
  dispatcher: Dispatcher;
  bus: EventBus;
  token: string;
  /** The port the server listens on (read per request: it is known only once listening). */
  port: () => number;
  /** Names and scheme besides the loopback `http` ones (a `--tls --listen` server). */
  served?: ServedNames;
  /** End functions of the open SSE streams: each stream adds its own and removes it when it ends (close() ends them all). */
  streams: Set<() => void>;
}

/**
 * Registers every `/api` route in one encapsulated context (register it with `prefix: '/api'`). Its own
 * `onRequest` hook refuses a foreign Origin (403) and a missing or wrong bearer token (401) before any
 * of its handlers, its catch-all and its 404 run, so auth belongs to the matched route, never to a test
 * of the URL's spelling. Host is checked by the server's root hook, which runs before this one.
 * Routes: `POST /:group/:method` (dispatch), `GET /events` (SSE), 405 for other methods on a method's
 * path, and a catch-all 404 for any other path under `/api` (so none falls through to the static files).
 */
export function apiRoutes(api: FastifyInstance, opts: ApiRoutesOptions, done: (err?: Error) => void): void {
  api.addHook('onRequest', async (req, reply) => {
    if (!originAllowed(req.headers.origin, opts.port(), opts.served))
      return fail(reply, 'FORBIDDEN', `Origin "${req.headers.origin ?? ''}" is not allowed`);
    if (!bearerMatches(req.headers.authorization, opts.token))
      return fail(
        reply,
        'UNAUTHORIZED',
        'Missing or wrong access token: send "Authorization: Bearer <token>" with the token from control.json',
      );
    return undefined;
  });

  api.addHook('onSend', async (_req, reply, payload) => {
    reply.header('Cache-Control', 'no-store');
    return payload;
  });

  const notFound = (req: FastifyRequest) =>
    `No such endpoint: ${req.method} ${req.url.split('?')[0] ?? ''}. Calls are POST /api/<group>/<method>; events are GET /api/events`;
  api.setNotFoundHandler((req, reply) => fail(reply, 'NOT_FOUND', notFound(req)));

  api.get('/events', (req, reply) => {
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
      opts.streams.delete(end);
      if (!res.writableEnded) res.end();
    };
    opts.streams.add(end);
    req.raw.on('close', end);
  });

  api.post(
    '/:group/:method',
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

  api.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/:group/:method',
    handler: (req, reply) => fail(reply, 'METHOD_NOT_ALLOWED', `Use POST for ${req.url.split('?')[0] ?? ''}`),
  });

  // Every other path under /api (and /api itself) belongs to this context: 404 after the auth hook.
  api.all('/', (req, reply) => fail(reply, 'NOT_FOUND', notFound(req)));
  api.all('/*', (req, reply) => fail(reply, 'NOT_FOUND', notFound(req)));
  done();
}
