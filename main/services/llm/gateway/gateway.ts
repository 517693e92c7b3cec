// The gateway (node:http): checks the virtual key, swaps it for LiteLLM's master key, streams through, records each call.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../../platform/logging';
import type { AgentTraceSink } from '../agent-trace-sink';
import { AGENTDESK_PREFIX, AgentdeskRoutes } from './agentdesk';
import type { AgentdeskRouteOptions } from './agentdesk';
import { answerClientError, gatewayErrors, sendError } from './errors';
import type { GatewayError } from './errors';
import { modelProblem, screenBody } from './fields';
import { mediaUrlProblem } from './media';
import { gatewayHosts, GatewayPolicy } from './policy';
import type { KeyStore } from './policy';
import { providerOfModel } from '../litellm/config';
import type { LlmCall, LlmCallSink } from '../llm-calls';
import { forwardToLitellm } from './relay';
import { reservationUsd } from './budget';
import type { GatewayBudget } from './budget';
import type { ForwardDeps, GatewayRequest } from './relay';
import type { GatewayTarget } from './target';
import type { RemoteGatewayAddress } from '../../runtimes/engine-target';
import { GATEWAY_TLS_NAME } from './tls-identity';
import type { GatewayTlsIdentity } from './tls-identity';

/** What the gateway needs. Times in ms, sizes in bytes. */
export interface GatewayOptions {
  /** Addresses to listen on: 127.0.0.1, later the container bridge gateway addresses. */
  binds: string[];
  /**
   * More ports a caller may name with a loopback host (`127.0.0.1:<p>`, `localhost:<p>`) in `Host`: the
   * port agents see inside an Incus container, whose proxy device forwards it to the gateway's.
   */
  hostAliasPorts?: number[];
  /** Port for every bind; 0 = one free port chosen at the first bind and reused for the others. */
  port: number;
  keys: KeyStore;
  sink: LlmCallSink;
  /** The LiteLLM to forward to now, or `null` while none is ready. */
  target: () => GatewayTarget | null;
  /** Why there is no target and when to retry (seconds; `null` = no point retrying soon). */
  unavailable: () => { message: string; retryAfterS: number | null };
  /** Holds a request while LiteLLM starts (see ForwardDeps.waitForTarget); without it, 503 at once. */
  waitForTarget?: () => Promise<void>;
  /** Cost in USD of a call from its tokens (LiteLLM's price map), `null` when unknown. */
  cost?: (model: string, tokensIn: number, tokensOut: number) => number | null;
  /** Agents' spend limits (budget.ts), checked before a call goes out; none without it. */
  budget?: GatewayBudget;
  /** Secret redaction for error messages passed on from LiteLLM. */
  scrub?: (text: string) => string;
  /** See RelayOptions.upstreamDown (relay.ts): names a provider whose server did not answer. */
  upstreamDown?: (provider: string) => string | null;
  /** Where `POST /v1/agentdesk/trace` hands tool events (that path answers 404 without one). */
  traceSink?: AgentTraceSink;
  /** Answers `GET /v1/agentdesk/models/<model>` (404 without it). */
  describeModel?: AgentdeskRouteOptions['describeModel'];
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
/** Strict UTF-8: a body with invalid bytes is refused, not silently decoded to U+FFFD and forwarded. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const USAGE_STREAM_PATHS = new Set(['/v1/chat/completions', '/v1/completions']);

/**
 * The OpenAI- and Anthropic-compatible endpoint agents call (docs/security/gateway.md). Per request: `Host`
 * naming the gateway (403, DNS rebinding) → route → virtual key (401) → owner state (403) → budget and
 * rate (429) → the agent's budgets and rate (429, budget.ts) → body ≤ 32 MiB (413) → `model` one name (400) and in scope (403) → body fields per the
 * endpoint's allow-list (400 for LiteLLM control fields, others dropped; fields.ts) → image and
 * file parts inline only (400 for a URL the host would download; media.ts) → the call's
 * estimated cost reserved in the agent's budgets (429) → a ready LiteLLM (503 with Retry-After, at once) → forward with the master key, streaming without buffering →
 * the model that answered checked against the scope (relay.ts) → one {@link LlmCall} to the sink. Errors are OpenAI-style JSON; LiteLLM's auth errors never
 * reach the caller (502 instead). Paths under `/v1/agentdesk/` (tool events, model checks for runtimes)
 * are served by {@link AgentdeskRoutes} with the same key checks and no llm_call record.
 */
export class Gateway {
  private readonly servers: http.Server[] = [];
  private readonly policy: GatewayPolicy;
  private readonly agentdesk: AgentdeskRoutes;
  private readonly maxBody: number;
  private readonly forwardDeps: ForwardDeps;
  private readonly pendingBinds = new Map<string, Promise<{ ok: true } | { ok: false; error: string }>>();
  private boundPort = 0;
  /** `Host` values accepted (see {@link hostAllowed}); rebuilt when the addresses change. */
  private hosts: Set<string> | null = null;
  /** Dropped request fields already logged (once per path and name). */
  private readonly droppedLogged = new Set<string>();
  private stopped = false;
  private requests = 0;
  private active = 0;
  /** Binds that failed, with why (e.g. a bridge address that does not exist yet); cleared when one succeeds later. */
  readonly bindErrors: { address: string; error: string }[] = [];
  /** The TLS listener for remote agents (see {@link enableTls}); null until enabled. */
  private tls: {
    identity: GatewayTlsIdentity;
    port: number;
    servers: http.Server[];
    pending: Map<string, Promise<{ ok: true } | { ok: false; error: string }>>;
    /** Addresses asked for and not removed: bound again when the gateway starts again after a stop. */
    wanted: Set<string>;
  } | null = null;

  constructor(private readonly opts: GatewayOptions) {
    this.policy = new GatewayPolicy(opts.keys);
    this.agentdesk = new AgentdeskRoutes(
      { traceSink: opts.traceSink, describeModel: opts.describeModel, scrub: opts.scrub, log: opts.log },
      this.policy,
    );
    this.maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;
    this.forwardDeps = {
      target: opts.target,
      unavailable: opts.unavailable,
      waitForTarget: opts.waitForTarget,
      scrub: opts.scrub,
      cost: opts.cost,
      spent: (key, usd) => this.policy.spent(key, usd),
      upstreamDown: opts.upstreamDown,
    };
  }

  /**
   * One HTTP server listening on `address:port` (0 = a free port); with `tls`, an HTTPS server (TLS 1.3
   * only) with that identity, whose requests must name `agentdesk-gateway:<port>` in `Host`.
   * @throws Error from listen (EADDRINUSE, EADDRNOTAVAIL…).
   */
  private async listen(address: string, port: number, tls?: GatewayTlsIdentity): Promise<http.Server> {
    const headersTimeout = this.opts.headersTimeoutMs ?? 15_000;
    // Node checks both timeouts every `connectionsCheckingInterval` (default 30 s): check often enough.
    const common = {
      noDelay: true,
      keepAlive: true,
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
    };
    const server: http.Server = tls
      ? https.createServer(
          { ...common, key: tls.keyPem, cert: tls.certPem, minVersion: 'TLSv1.3' },
          (req, res) => this.handle(req, res, true),
        )
      : http.createServer(common, (req, res) => this.handle(req, res));
    if (tls)
      server.on('tlsClientError', (err: Error) =>
        this.opts.log.debug({ address, err: err.message }, 'gateway TLS handshake refused'),
      );
    server.headersTimeout = headersTimeout;
    server.requestTimeout = this.opts.requestTimeoutMs ?? 120_000;
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket));
    server.keepAliveTimeout = 5_000;
    server.timeout = 0; // a model may think for minutes before its first token
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.opts.log.error({ address, err }, 'gateway server error'));
    return server;
  }

  private recordBindError(address: string, error: string): void {
    const i = this.bindErrors.findIndex((b) => b.address === address);
    if (i >= 0) this.bindErrors.splice(i, 1);
    if (error) this.bindErrors.push({ address, error });
  }

  /**
   * Listens on every bind address, on `port` (default: the constructor's). @throws Error when the first address cannot be bound (others are
   * recorded in {@link bindErrors} and logged).
   */
  async start(port = this.opts.port): Promise<void> {
    this.stopped = false;
    for (const [i, address] of this.opts.binds.entries()) {
      let server: http.Server;
      try {
        server = await this.listen(address, port);
      } catch (err) {
        if (i === 0) throw err;
        this.recordBindError(address, (err as Error).message);
        this.opts.log.error({ address, err }, 'gateway could not listen on a bind address');
        continue;
      }
      port = (server.address() as AddressInfo).port;
      this.servers.push(server);
    }
    this.boundPort = port;
    this.hosts = null;
    // The TLS addresses of before a stop (a port taken back, a restart): bound again, same TLS port.
    if (this.tls) await Promise.all([...this.tls.wanted].map((a) => this.addTlsBind(a)));
  }

  /**
   * Listens on one more address at the gateway's port, e.g. the Docker `agentdesk` bridge's gateway
   * address, which exists only once that network is created. Idempotent (an address already listened
   * on, or being bound, gives the same answer). Shown in {@link addresses}; a failure is kept in
   * {@link bindErrors} until a later call succeeds.
   * @returns `{ok: false, error}` naming the address and why: not an IP address; a wildcard address
   *   (0.0.0.0, `::`; only 127.0.0.1 and bridge addresses are allowed); the gateway not
   *   started; or listen failing (EADDRNOTAVAIL: no interface has it yet; EADDRINUSE: the port is taken there).
   */
  addBind(address: string): Promise<{ ok: true } | { ok: false; error: string }> {
    if (net.isIP(address) === 0)
      return Promise.resolve({
        ok: false,
        error: `"${address}" is not an IP address; give the address to listen on, e.g. the bridge gateway 172.30.0.1.`,
      });
    if (address === '0.0.0.0' || /^[0:]+$/.test(address))
      return Promise.resolve({
        ok: false,
        error: `"${address}" would expose the gateway on every interface (the LAN too); give one address, e.g. the bridge gateway 172.30.0.1.`,
      });
    if (this.stopped || this.boundPort === 0)
      return Promise.resolve({ ok: false, error: 'The gateway is not listening (start it first).' });
    if (this.addresses.includes(address)) return Promise.resolve({ ok: true });
    const pending = this.pendingBinds.get(address);
    if (pending) return pending;
    const port = this.boundPort;
    const bound = this.listen(address, port).then(
      (server): { ok: true } | { ok: false; error: string } => {
        this.pendingBinds.delete(address);
        if (this.stopped) {
          server.close();
          return { ok: false, error: 'The gateway stopped meanwhile.' };
        }
        this.servers.push(server);
        this.hosts = null;
        this.recordBindError(address, '');
        this.opts.log.info({ address, port }, 'gateway listening on one more address');
        return { ok: true };
      },
      (err: NodeJS.ErrnoException) => {
        this.pendingBinds.delete(address);
        const error = `Could not listen on ${address}:${port}: ${err.message}`;
        this.recordBindError(address, error);
        this.opts.log.error({ address, err }, 'gateway could not listen on a bind address');
        return { ok: false, error };
      },
    );
    this.pendingBinds.set(address, bound);
    return bound;
  }

  /**
   * Turns on the TLS listener remote agents call (see {@link addTlsBind}): it serves the same routes with
   * the same checks as the plain one (virtual key, allow-list, budget, `/v1/agentdesk/` trace path), and
   * nothing else, over TLS 1.3 with `identity` (loadGatewayTlsIdentity). Its port is shared by every TLS
   * address: `port`, or 0 for a free one chosen at the first bind. Calling it again with the same
   * certificate is a no-op. @throws Error when TLS addresses are bound with another certificate or port.
   */
  enableTls(identity: GatewayTlsIdentity, port = 0): void {
    if (this.tls) {
      if (this.tls.identity.certPem === identity.certPem && (port === 0 || port === this.tls.port)) return;
      if (this.tls.servers.length)
        throw new Error(
          'The TLS listener is bound with another certificate or port: remove its addresses first.',
        );
    }
    this.tls = { identity, port, servers: [], pending: new Map(), wanted: this.tls?.wanted ?? new Set() };
  }

  /**
   * Listens with TLS on one more address, e.g. 127.0.0.1 (the end of an SSH reverse tunnel) or the local
   * address that routes to a remote engine's host (tcp+TLS engines). Idempotent, like {@link addBind}.
   * The address is remembered until {@link removeTlsBind}: a {@link start} after a stop binds it again,
   * on the same TLS port.
   * @returns `{ok: false, error}` naming why: TLS not enabled; not an IP address; a wildcard address;
   *   the gateway stopped; or listen failing (EADDRNOTAVAIL, EADDRINUSE).
   */
  addTlsBind(address: string): Promise<{ ok: true } | { ok: false; error: string }> {
    const tls = this.tls;
    if (!tls)
      return Promise.resolve({ ok: false, error: 'The TLS listener is not enabled (enableTls first).' });
    if (net.isIP(address) === 0)
      return Promise.resolve({
        ok: false,
        error: `"${address}" is not an IP address; give one local address, e.g. 127.0.0.1.`,
      });
    if (address === '0.0.0.0' || /^[0:]+$/.test(address))
      return Promise.resolve({
        ok: false,
        error: `"${address}" would listen on every interface; give the one address remote engines reach, e.g. 192.168.1.20.`,
      });
    tls.wanted.add(address);
    if (this.stopped)
      return Promise.resolve({ ok: false, error: 'The gateway is not listening (start it first).' });
    if (this.tlsAddresses.includes(address)) return Promise.resolve({ ok: true });
    const pending = tls.pending.get(address);
    if (pending) return pending;
    const bound = this.listen(address, tls.port, tls.identity).then(
      (server): { ok: true } | { ok: false; error: string } => {
        tls.pending.delete(address);
        if (this.stopped || this.tls !== tls) {
          server.close();
          return { ok: false, error: 'The gateway stopped meanwhile.' };
        }
        tls.servers.push(server);
        tls.port = (server.address() as AddressInfo).port;
        this.opts.log.info({ address, port: tls.port }, 'gateway listening with TLS');
        return { ok: true };
      },
      (err: NodeJS.ErrnoException) => {
        tls.pending.delete(address);
        const error = `Could not listen with TLS on ${address}:${tls.port}: ${err.message}`;
        this.opts.log.error({ address, err }, 'gateway could not listen with TLS');
        return { ok: false, error };
      },
    );
    tls.pending.set(address, bound);
    return bound;
  }

  /** Stops the TLS listener on `address` (its open connections are closed); not listened on = no-op. */
  async removeTlsBind(address: string): Promise<void> {
    const tls = this.tls;
    if (!tls) return;
    tls.wanted.delete(address);
    const i = tls.servers.findIndex((s) => (s.address() as AddressInfo | null)?.address === address);
    if (i < 0) return;
    const [server] = tls.servers.splice(i, 1);
    const closed = new Promise<void>((r) => server!.close(() => r()));
    server!.closeAllConnections();
    await closed;
  }

  /** The addresses the TLS listener is bound to. */
  get tlsAddresses(): string[] {
    return (this.tls?.servers ?? []).map((s) => (s.address() as AddressInfo).address);
  }

  /** The TLS listener's port (0 while it is not enabled or not bound yet). */
  get tlsPort(): number {
    return this.tls?.servers.length ? this.tls.port : 0;
  }

  /**
   * What a remote agent is given to reach the gateway: `agentdesk-gateway`, the TLS port, and the
   * certificate it pins (never the key). @throws Error while the TLS listener has no address yet.
   */
  remoteGatewayAddress(): RemoteGatewayAddress {
    if (!this.tls || !this.tls.servers.length)
      throw new Error('The gateway has no TLS listener yet (enableTls, then addTlsBind).');
    return { host: GATEWAY_TLS_NAME, port: this.tls.port, caPem: this.tls.identity.certPem };
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
    this.stopped = true;
    this.hosts = null;
    const servers = [...this.servers.splice(0), ...(this.tls?.servers.splice(0) ?? [])];
    const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of servers) s.closeIdleConnections();
    const t0 = Date.now();
    while (this.active > 0 && Date.now() - t0 < graceMs) await new Promise((r) => setTimeout(r, 50));
    for (const s of servers) s.closeAllConnections();
    await Promise.all(closed);
  }

  /** True when `Host` names the gateway (see {@link gatewayHosts}). */
  private hostAllowed(host: string | undefined): boolean {
    if (!host) return false;
    const hosts = this.allowedHosts();
    return hosts.has(host) || hosts.has(host.toLowerCase());
  }

  private allowedHosts(): Set<string> {
    return (this.hosts ??= gatewayHosts(this.addresses, this.boundPort, this.opts.hostAliasPorts ?? []));
  }

  /** True when `Host` is the TLS listener's name and port (`agentdesk-gateway:<port>`, any case). */
  private tlsHostAllowed(host: string | undefined): boolean {
    return !!host && !!this.tls && host.toLowerCase() === `${GATEWAY_TLS_NAME}:${this.tls.port}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, overTls = false): void {
    this.requests++;
    this.active++;
    const t0 = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (overTls ? !this.tlsHostAllowed(req.headers.host) : !this.hostAllowed(req.headers.host)) {
      res.once('close', () => this.active--);
      req.resume();
      return sendError(res, gatewayErrors.badHost(req.headers.host ?? '', this.boundPort));
    }
    if (path.startsWith(AGENTDESK_PREFIX)) {
      res.once('close', () => this.active--);
      return this.agentdesk.handle(req, res, path);
    }
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
      this.opts.budget?.settle(call);
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
    const ctx: GatewayRequest = { req, res, call, t0, finish, fail, requestBytes: 0, dropped: null };
    if (isModels) return forwardToLitellm(ctx, key, null, this.forwardDeps);
    const overBudget = this.opts.budget?.check(key.owner) ?? null;
    if (overBudget) {
      req.resume();
      return fail(overBudget);
    }
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
      let text: string;
      try {
        text = UTF8.decode(raw);
      } catch {
        return fail(
          gatewayErrors.badBody('The request body is not valid UTF-8 (RFC 8259 §8.1: JSON is UTF-8).'),
        );
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
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
      const badModel = modelProblem(model);
      if (badModel) return fail(gatewayErrors.badBody(badModel));
      const outOfScope = this.policy.scope(key, model);
      if (outOfScope) return fail(outOfScope);
      call.stream = body.stream === true;
      const screened = screenBody(path, body);
      if (!screened.ok) return fail(screened.error);
      const mediaUrl = mediaUrlProblem(path, body);
      if (mediaUrl) return fail(gatewayErrors.mediaUrl(mediaUrl));
      let modified = screened.modified;
      if (screened.dropped) this.noteDropped(path, screened.dropped, key.owner);
      ctx.dropped = screened.dropped;
      if (call.stream && USAGE_STREAM_PATHS.has(path)) {
        const so = (body.stream_options ?? {}) as Record<string, unknown>;
        if (so.include_usage !== true) {
          body.stream_options = { ...so, include_usage: true };
          modified = true;
        }
      }
      const forwarded = modified ? Buffer.from(JSON.stringify(body)) : raw;
      ctx.requestBytes = forwarded.length;
      const estimate = this.opts.budget ? reservationUsd(body, forwarded.length, this.opts.cost) : 0;
      const noRoom = this.opts.budget?.reserve(key.owner, call.id, estimate) ?? null;
      if (noRoom) return fail(noRoom);
      forwardToLitellm(ctx, key, forwarded, this.forwardDeps);
    });
    req.on('error', () => finish(499, 'the caller closed the connection'));
  }

  /** Logs (once per path and field) a request field the allow-list dropped, so a new SDK field shows up. */
  private noteDropped(path: string, fields: string[], owner: string): void {
    for (const field of fields) {
      const k = `${path} ${field}`;
      if (this.droppedLogged.has(k) || this.droppedLogged.size > 1000) continue;
      this.droppedLogged.add(k);
      this.opts.log.warn(
        { path, field, owner },
        'gateway dropped a request field that is not in its allow-list',
      );
    }
  }
}
