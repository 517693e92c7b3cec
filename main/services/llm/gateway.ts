// The gateway (node:http): checks the virtual key, swaps it for LiteLLM's master key, streams through, records each call.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../platform/logging';
import { gatewayErrors, sendError } from './gateway-errors';
import type { GatewayError } from './gateway-errors';
import { GatewayPolicy } from './gateway-policy';
import type { KeyStore } from './gateway-policy';
import { providerOfModel } from './litellm-config';
import type { LlmCall, LlmCallSink } from './llm-calls';
import { relayAnswer, relayModels } from './gateway-relay';
import type { GatewayRequest } from './gateway-relay';
import type { VirtualKeyRecord } from './virtual-keys';

/** Where requests go: one ready LiteLLM. The gateway counts its in-flight requests (for draining). */
export interface GatewayTarget {
  host: string;
  port: number;
  /** LiteLLM's master key (random per start); sent as `Authorization: Bearer`. */
  masterKey: string;
  /** Keep-alive agent for this target. */
  agent: http.Agent;
  /** Requests currently forwarded to this target; maintained by the gateway. */
  inflight: number;
}

/** What the gateway needs. Times in ms, sizes in bytes. */
export interface GatewayOptions {
  /** Addresses to listen on: 127.0.0.1, later the container bridge gateway addresses. */
  binds: string[];
  /** Port for every bind; 0 = one free port chosen at the first bind and reused for the others. */
  port: number;
  keys: KeyStore;
  sink: LlmCallSink;
  /** The LiteLLM to forward to now, or `null` while none is ready. */
  target: () => GatewayTarget | null;
  /** Why there is no target and when to retry (seconds; `null` = no point retrying soon). */
  unavailable: () => { message: string; retryAfterS: number | null };
  /** Cost in USD of a call from its tokens (LiteLLM's price map), `null` when unknown. */
  cost?: (model: string, tokensIn: number, tokensOut: number) => number | null;
  /** `null` when the key's owner may call, else why not (the agent's state; issue "Agents"). */
  ownerRefusal?: (owner: string) => string | null;
  /** Secret redaction for error messages passed on from LiteLLM. */
  scrub?: (text: string) => string;
  log: Logger;
  /** Default 32 MiB. */
  maxBodyBytes?: number;
  /** Time allowed to receive the request headers (default 15 000) and the whole request (default 120 000). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const POST_PATHS = new Set([
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/responses',
  '/v1/messages',
]);
const USAGE_STREAM_PATHS = new Set(['/v1/chat/completions', '/v1/completions']);
/** Body fields that would let a caller redirect LiteLLM or swap credentials (LiteLLM honours some of them); `litellm*` too. */
const BANNED_FIELDS = new Set([
  'api_key',
  'api_base',
  'base_url',
  'api_version',
  'user_config',
  'custom_llm_provider',
  'mock_response',
]);
/** Request headers never forwarded: hop-by-hop, credentials, encodings we would have to decode, LiteLLM controls. */
const DROP_REQUEST = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'authorization',
  'x-api-key',
  'content-length',
  'accept-encoding',
  'cookie',
  'expect',
]);

/**
 * The OpenAI- and Anthropic-compatible endpoint agents call (ARCHITECTURE §5). Per request: route →
 * virtual key (401) → owner state (403) → budget and rate (429) → body ≤ 32 MiB (413) → model scope (403)
 * → a ready LiteLLM (503 with Retry-After, at once) → forward with the master key, streaming without
 * buffering → one {@link LlmCall} to the sink. Errors are OpenAI-style JSON; LiteLLM's auth errors never
 * reach the caller (502 instead).
 */
export class Gateway {
  private readonly servers: http.Server[] = [];
  private readonly policy: GatewayPolicy;
  private readonly maxBody: number;
  private boundPort = 0;
  private requests = 0;
  private active = 0;
  /** Binds that failed, with why (e.g. a bridge address that does not exist yet). */
  readonly bindErrors: { address: string; error: string }[] = [];

  constructor(private readonly opts: GatewayOptions) {
    this.policy = new GatewayPolicy(opts.keys, opts.ownerRefusal);
    this.maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  }

  /**
   * Listens on every bind address, on `port` (default: the constructor's). @throws Error when the first address cannot be bound (others are
   * recorded in {@link bindErrors} and logged).
   */
  async start(port = this.opts.port): Promise<void> {
    for (const [i, address] of this.opts.binds.entries()) {
      const server = http.createServer({ noDelay: true, keepAlive: true }, (req, res) =>
        this.handle(req, res),
      );
      server.headersTimeout = this.opts.headersTimeoutMs ?? 15_000;
      server.requestTimeout = this.opts.requestTimeoutMs ?? 120_000;
      server.keepAliveTimeout = 5_000;
      server.timeout = 0; // a model may think for minutes before its first token
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, address, () => resolve());
        });
      } catch (err) {
        if (i === 0) throw err;
        this.bindErrors.push({ address, error: (err as Error).message });
        this.opts.log.error({ address, err }, 'gateway could not listen on a bind address');
        continue;
      }
      port = (server.address() as AddressInfo).port;
      this.servers.push(server);
    }
    this.boundPort = port;
  }

  /** The port listened on (0 before start). */
  get port(): number {
    return this.boundPort;
  }

  /** `http://<first bind>:<port>/v1`: the base URL OpenAI SDKs take. */
  get url(): string {
    return `http://${this.opts.binds[0]}:${this.boundPort}/v1`;
  }

  /** The addresses actually listened on. */
  get addresses(): string[] {
    return this.servers.map((s) => (s.address() as AddressInfo).address);
  }

  /** Requests handled since start, and in progress now. */
  stats(): { requests: number; inflight: number } {
    return { requests: this.requests, inflight: this.active };
  }

  /** Stops listening; in-flight requests get up to `graceMs` (default 5 000) before their sockets are closed. */
  async stop(graceMs = 5000): Promise<void> {
    const servers = this.servers.splice(0);
    const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of servers) s.closeIdleConnections();
    const t0 = Date.now();
    while (this.active > 0 && Date.now() - t0 < graceMs) await new Promise((r) => setTimeout(r, 50));
    for (const s of servers) s.closeAllConnections();
    await Promise.all(closed);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests++;
    this.active++;
    const t0 = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const call: LlmCall = {
      v: 1,
      id: crypto.randomUUID(),
      kind: 'llm_call',
      created_at: Date.now(),
      owner: null,
      key_id: null,
      provider: null,
      model: null,
      path,
      stream: false,
      status: 0,
      duration_ms: 0,
      ttft_ms: null,
      tokens_in: null,
      tokens_out: null,
      cost_usd: null,
      error: null,
    };
    let finished = false;
    const finish = (status: number, error: string | null) => {
      if (finished) return;
      finished = true;
      this.active--;
      call.status = status;
      call.error = error;
      call.duration_ms = Math.round((performance.now() - t0) * 100) / 100;
      this.opts.sink.record(call);
    };
    const fail = (e: GatewayError, close = false): void => {
      sendError(res, e, close);
      finish(e.status, e.message);
    };
    res.once('close', () =>
      finish(
        res.writableFinished ? res.statusCode : 499,
        res.writableFinished ? call.error : 'the caller closed the connection',
      ),
    );

    const isModels = path === '/v1/models' && req.method === 'GET';
    if (!isModels && !(req.method === 'POST' && POST_PATHS.has(path))) {
      req.resume();
      return fail(gatewayErrors.notFound(req.method ?? '?', path));
    }
    const auth = this.policy.authenticate(req.headers);
    if ('error' in auth) {
      req.resume();
      return fail(auth.error);
    }
    const key = auth.key;
    call.owner = key.owner;
    call.key_id = key.id;
    const refused = this.policy.admit(key);
    if (refused) {
      req.resume();
      return fail(refused);
    }
    const ctx: GatewayRequest = { req, res, call, t0, finish, fail };
    if (isModels) return this.forward(ctx, key, null);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBody) {
      req.resume(); // read and drop the rest, so the caller can read the answer
      return fail(gatewayErrors.tooLarge(this.maxBody), true);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > this.maxBody) {
        tooLarge = true;
        chunks.length = 0;
        fail(gatewayErrors.tooLarge(this.maxBody), true);
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge || finished) return;
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
      } catch {
        return fail(gatewayErrors.badBody('The request body must be a JSON object.'));
      }
      const model = body.model;
      if (typeof model !== 'string' || !model)
        return fail(
          gatewayErrors.badBody('The request body needs a "model" (one of the models allowed for this key).'),
        );
      call.model = model;
      call.provider = providerOfModel(model);
      const outOfScope = this.policy.scope(key, model);
      if (outOfScope) return fail(outOfScope);
      call.stream = body.stream === true;
      let modified = false;
      for (const f of Object.keys(body))
        if (BANNED_FIELDS.has(f) || f.startsWith('litellm')) {
          delete body[f];
          modified = true;
        }
      if (call.stream && USAGE_STREAM_PATHS.has(path)) {
        const so = (body.stream_options ?? {}) as Record<string, unknown>;
        if (so.include_usage !== true) {
          body.stream_options = { ...so, include_usage: true };
          modified = true;
        }
      }
      this.forward(ctx, key, modified ? Buffer.from(JSON.stringify(body)) : raw);
    });
    req.on('error', () => finish(499, 'the caller closed the connection'));
  }

  private forward(ctx: GatewayRequest, key: VirtualKeyRecord, body: Buffer | null, retried = false): void {
    const { req, res, finish, fail } = ctx;
    const target = this.opts.target();
    if (!target) {
      const why = this.opts.unavailable();
      return fail(gatewayErrors.unavailable(why.message, why.retryAfterS));
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && !DROP_REQUEST.has(name) && !name.includes('litellm')) headers[name] = value;
    headers.authorization = `Bearer ${target.masterKey}`;
    if (body) headers['content-length'] = body.length;
    target.inflight++;
    let released = false;
    const release = () => {
      if (!released) target.inflight--;
      released = true;
    };
    const upstream = http.request({
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent: target.agent,
    });
    upstream.on('response', (ures) => {
      const relayOpts = {
        scrub: this.opts.scrub,
        cost: this.opts.cost,
        spent: (usd: number | null) => this.policy.spent(key, usd),
      };
      if (ctx.call.path === '/v1/models') relayModels(ctx, ures, key, release);
      else relayAnswer(ctx, ures, relayOpts, release);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      release();
      if (res.headersSent) {
        res.destroy();
        return finish(502, `LiteLLM connection lost mid-answer: ${err.code ?? err.message}`);
      }
      if (!retried && upstream.reusedSocket && err.code === 'ECONNRESET')
        return this.forward(ctx, key, body, true); // idle keep-alive socket closed by LiteLLM
      const ready = this.opts.target();
      if (!ready || ready !== target || err.code === 'ECONNREFUSED') {
        const why = this.opts.unavailable();
        return fail(
          gatewayErrors.unavailable(ready ? 'LiteLLM is restarting' : why.message, why.retryAfterS ?? 5),
        );
      }
      fail(gatewayErrors.upstream(`LiteLLM did not answer: ${err.code ?? err.message}`));
    });
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body ?? undefined);
  }
}
