// The gateway → LiteLLM leg: the request forwarded with the master key, the answer piped back as it arrives, the served model checked, usage and cost read on the way.
import type http from 'node:http';
import { isConnectionFailure } from '../upstream-down';
import { classifyLitellmError, gatewayErrors, sendError } from './errors';
import type { GatewayError } from './errors';
import type { GatewayTarget } from './target';
import type { LlmCall } from '../llm-calls';
import { answerHeaders, SseErrorScrubber, trailingTokenStart } from './stream';
import { providerOfModel } from '../litellm/config';
import { estimateUsage, JsonUsageCollector, SseUsageScanner } from '../llm-usage';
import { inScope } from '../virtual-keys';
import type { VirtualKeyRecord } from '../virtual-keys';
import { sendUpstream } from './upstream';
import type { UpstreamAnswer } from './upstream';

/** One request in progress in the gateway. */
export interface GatewayRequest {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** The record being filled; written to the sink by `finish`. */
  call: LlmCall;
  /** performance.now() at arrival. */
  t0: number;
  /** Bytes of the request body forwarded (0 for GETs): the input estimate of a cut answer. */
  requestBytes: number;
  /** Request fields the allow-list dropped (sent back in `x-agentdesk-dropped-fields`), or `null`. */
  dropped: string[] | null;
  /** Ends the record (once): HTTP status sent and error, if any. */
  finish: (status: number, error: string | null) => void;
  /** Answers with a gateway error and ends the record. */
  fail: (e: GatewayError, close?: boolean) => void;
}

/** What the relay needs from the gateway. */
export interface RelayOptions {
  scrub?: (text: string) => string;
  cost?: (model: string, tokensIn: number, tokensOut: number) => number | null;
  /** Records the spending of the call on its key (USD, `null` when unknown). */
  spent: (usd: number | null) => void;
  /** The key's model scope: an answer served by a model outside it is withheld. */
  scope: readonly string[];
  /**
   * Called when LiteLLM answered ≥ 500 because it could not connect to the provider of the call's model
   * (upstream-down.ts): re-probes it and returns the message naming its server, `null` to keep LiteLLM's.
   */
  upstreamDown?: (provider: string) => string | null;
}

/** Error answers are read up to this many bytes (the rest is dropped). */
const ERROR_BODY_LIMIT = 1024 * 1024;

/**
 * Relays one LiteLLM answer.
 * - Errors (status ≥ 400) are read whole (≤ 1 MiB) and classified (classifyLitellmError): LiteLLM auth
 *   errors and 5xx become the gateway's 502, others pass with their status; the text is scrubbed of
 *   secrets before any cut.
 * - The model that answered is LiteLLM's `x-litellm-model-group` header (measured on 1.106.2: present on
 *   every 2xx of the five model paths, streams included, naming the fallback when LiteLLM used one). It
 *   is recorded as the call's model (the request's goes to `requested_model` when they differ). When it
 *   is outside the key's scope the answer is read but withheld (502 `served_model_not_allowed`), and its
 *   cost is still charged: the provider was called.
 * - Successes are piped chunk by chunk as they arrive (no buffering; backpressure kept), with only the
 *   allowed headers (answerHeaders) and SSE error events scrubbed (SseErrorScrubber); usage is read on
 *   the side: SSE events for streams (TTFT = first body byte), the JSON body otherwise. An error event
 *   inside a 200 stream (a provider failing after the stream began) is recorded as the call's error,
 *   noted by the same scrubbing pass.
 * - Cost: LiteLLM's `x-litellm-response-cost` for whole JSON answers, else tokens × LiteLLM's price map
 *   for the model that answered. An answer that does not complete (the caller went away, LiteLLM died)
 *   is charged for what was produced (estimateUsage), never nothing.
 */
export function relayAnswer(
  ctx: GatewayRequest,
  ures: UpstreamAnswer,
  opts: RelayOptions,
  release: () => void,
): void {
  const { res, call, finish } = ctx;
  const status = ures.statusCode ?? 502;
  const scrub = opts.scrub ?? ((s: string) => s);
  if (status >= 400) return relayError(ctx, ures, status, scrub, release, opts.upstreamDown);
  const served = ures.headers['x-litellm-model-group'];
  const requested = call.model;
  if (typeof served === 'string' && served && served !== requested) {
    if (requested) call.requested_model = requested;
    call.model = served;
    call.provider = providerOfModel(served);
  }
  const litellmCost = Number(ures.headers['x-litellm-response-cost']);
  const isSse = String(ures.headers['content-type'] ?? '').startsWith('text/event-stream');
  const sse = isSse ? new SseUsageScanner() : null;
  const json = isSse ? null : new JsonUsageCollector();
  let bytes = 0;
  let settled = false;
  /** Sets tokens and cost once, from the whole answer (`complete`) or from what was seen of it. */
  const settle = (complete: boolean) => {
    if (settled) return;
    settled = true;
    release();
    const seen = sse ? sse.result() : json!.result();
    let usage: { tokensIn: number | null; tokensOut: number | null } | null = seen;
    if (!complete) {
      usage = estimateUsage(seen, ctx.requestBytes, {
        sseEvents: sse ? sse.events : null,
        bytes,
        embeddings: call.path === '/v1/embeddings',
      });
      call.usage_estimated = true;
    }
    call.tokens_in = usage?.tokensIn ?? null;
    call.tokens_out = usage?.tokensOut ?? null;
    if (complete && !isSse && Number.isFinite(litellmCost) && litellmCost > 0) call.cost_usd = litellmCost;
    else if (usage && call.model && opts.cost)
      call.cost_usd = opts.cost(call.model, usage.tokensIn ?? 0, usage.tokensOut ?? 0);
    opts.spent(call.cost_usd);
  };
  let first = true;
  const meter = (c: Buffer) => {
    if (first) {
      first = false;
      if (call.stream) call.ttft_ms = Math.round((performance.now() - ctx.t0) * 100) / 100;
    }
    bytes += c.length;
    if (sse) sse.push(c);
    else json!.push(c);
  };
  // The caller went away mid-answer: charge what was produced before the record is written (this
  // listener runs before the gateway's own, which writes the record).
  res.prependOnceListener('close', () => {
    if (!res.writableFinished) settle(false);
  });
  // LiteLLM went away mid-answer (killed, crashed): the caller's stream is cut (it must not look
  // complete), and the record says why before the socket's close would call it the caller's doing.
  ures.on('error', (err: NodeJS.ErrnoException) => {
    settle(false);
    finish(502, `LiteLLM connection lost mid-answer: ${err.code ?? err.message}`);
    res.destroy();
  });
  if (typeof served === 'string' && served && !inScope(opts.scope, served)) {
    ures.on('data', meter);
    ures.on('end', () => {
      settle(true);
      ctx.fail(gatewayErrors.servedOutOfScope(served, requested ?? '?', opts.scope));
    });
    return;
  }
  const headers = answerHeaders(ures.headers, isSse);
  if (ctx.dropped) headers['x-agentdesk-dropped-fields'] = droppedHeader(ctx.dropped);
  res.writeHead(status, headers);
  if (!sse) {
    ures.on('data', meter);
    ures.pipe(res);
    ures.on('end', () => settle(true));
    return;
  }
  const guard = new SseErrorScrubber(scrub);
  ures.on('data', (c: Buffer) => {
    meter(c);
    if (res.destroyed) return;
    const out = guard.push(c);
    if (out.length && !res.write(out)) {
      ures.pause();
      res.once('drain', () => ures.resume());
    }
  });
  ures.on('end', () => {
    const rest = guard.end();
    // An error event inside the 200 stream makes the call a failed one; its record says why (set
    // before the answer ends: the gateway writes the record when the response closes).
    call.error = guard.streamError() ?? call.error;
    settle(true);
    if (!res.destroyed) res.end(rest);
  });
}

/**
 * The `x-agentdesk-dropped-fields` value: at most 20 names, each a plain identifier (a name with other
 * characters — the caller chooses them — is shown as `?`, so the header is always valid).
 */
function droppedHeader(fields: readonly string[]): string {
  const shown = fields.slice(0, 20).map((f) => (/^[A-Za-z0-9_.-]{1,64}$/.test(f) ? f : '?'));
  return shown.join(', ') + (fields.length > 20 ? `, ... (${fields.length} in all)` : '');
}

/** An error answer of LiteLLM: read (≤ 1 MiB), classified, scrubbed, passed on or replaced (see relayAnswer). */
function relayError(
  ctx: GatewayRequest,
  ures: UpstreamAnswer,
  status: number,
  scrub: (s: string) => string,
  release: () => void,
  upstreamDown?: (provider: string) => string | null,
): void {
  const { res, finish } = ctx;
  const chunks: Buffer[] = [];
  let size = 0;
  let cut = false;
  ures.on('data', (c: Buffer) => {
    if (size >= ERROR_BODY_LIMIT) {
      cut = true;
      return;
    }
    chunks.push(c);
    size += c.length;
  });
  ures.on('end', () => {
    release();
    let raw = Buffer.concat(chunks, size);
    if (cut || size > ERROR_BODY_LIMIT) {
      // Cut: drop a key-like token that reaches the cut, so no prefix of a secret is kept.
      raw = raw.subarray(0, ERROR_BODY_LIMIT);
      raw = raw.subarray(0, trailingTokenStart(raw));
    }
    const verdict = classifyLitellmError(status, raw.toString('utf8'), scrub);
    if (!verdict.pass) {
      // The provider's server did not answer: name it (not LiteLLM's text) and have it probed again.
      const provider = ctx.call.provider;
      const named =
        status >= 500 && provider && upstreamDown && isConnectionFailure(verdict.error.message)
          ? upstreamDown(provider)
          : null;
      const error = named ? gatewayErrors.providerDown(named) : verdict.error;
      sendError(res, error);
      return finish(error.status, named ? `${named} (${verdict.error.message})` : error.message);
    }
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(verdict.body),
    });
    res.end(verdict.body);
    finish(status, verdict.body.slice(0, 500));
  });
  ures.on('error', () => release());
}

/** `GET /v1/models` from LiteLLM, answered with only the models in the key's scope. */
export function relayModels(
  ctx: GatewayRequest,
  ures: UpstreamAnswer,
  key: VirtualKeyRecord,
  release: () => void,
): void {
  const { res, finish } = ctx;
  const chunks: Buffer[] = [];
  ures.on('data', (c: Buffer) => chunks.push(c));
  ures.on('end', () => {
    release();
    let list: { data?: { id?: unknown }[] };
    try {
      list = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof list;
      if ((ures.statusCode ?? 500) >= 400 || !Array.isArray(list.data)) throw new Error('not a model list');
    } catch {
      sendError(res, gatewayErrors.upstream(`LiteLLM could not list its models (HTTP ${ures.statusCode})`));
      return finish(502, 'bad /v1/models answer');
    }
    const data = list.data.filter((m) => typeof m.id === 'string' && inScope(key.models, m.id));
    const body = JSON.stringify({ object: 'list', data });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  ures.on('error', () => release());
}

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

/** What {@link forwardToLitellm} needs from the gateway. */
export interface ForwardDeps {
  /** The LiteLLM to forward to now, or `null` while none is ready. */
  target: () => GatewayTarget | null;
  /** Why there is no target and when to retry (s). */
  unavailable: () => { message: string; retryAfterS: number | null };
  /**
   * Resolves once a target is ready, or at once when none is coming soon (not starting), or after a
   * few seconds: a request that arrives while LiteLLM starts is held that long before its 503.
   */
  waitForTarget?: () => Promise<void>;
  scrub?: (text: string) => string;
  cost?: (model: string, tokensIn: number, tokensOut: number) => number | null;
  /** Records the spending (USD, `null` when unknown) of a call on its key. */
  spent: (key: VirtualKeyRecord, usd: number | null) => void;
  /** See {@link RelayOptions.upstreamDown}. */
  upstreamDown?: (provider: string) => string | null;
}

/**
 * Forwards one admitted request to the ready LiteLLM with its master key (the caller's credentials and
 * hop-by-hop headers dropped) and relays the answer ({@link relayModels} for `/v1/models`, else
 * {@link relayAnswer}). `body` replaces the request body when given (already read); `null` for GETs.
 * No LiteLLM yet → held while it starts ({@link ForwardDeps.waitForTarget}), then forwarded or 503; no
 * LiteLLM, or one that refuses the connection or was replaced meanwhile → 503 with Retry-After; an
 * idle keep-alive socket closed by LiteLLM → retried once; other connection errors → 502.
 */
export function forwardToLitellm(
  ctx: GatewayRequest,
  key: VirtualKeyRecord,
  body: Buffer | null,
  deps: ForwardDeps,
  retried = false,
  held = false,
): void {
  const { req, res, finish, fail } = ctx;
  const target = deps.target();
  if (!target && !held && deps.waitForTarget) {
    void deps.waitForTarget().then(() => {
      if (!res.destroyed && !res.writableEnded) forwardToLitellm(ctx, key, body, deps, retried, true);
    });
    return;
  }
  if (!target) {
    const why = deps.unavailable();
    return fail(gatewayErrors.unavailable(why.message, why.retryAfterS));
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const name in req.headers) {
    const value = req.headers[name];
    if (value !== undefined && !DROP_REQUEST.has(name) && !name.includes('litellm')) headers[name] = value;
  }
  headers.authorization = `Bearer ${target.masterKey}`;
  if (body) headers['content-length'] = body.length;
  target.inflight++;
  let released = false;
  const release = () => {
    if (!released) target.inflight--;
    released = true;
  };
  const upstream = sendUpstream(
    target.dispatcher,
    {
      origin: `http://${target.host}:${target.port}`,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers,
      body,
    },
    {
      answer: (ures) => {
        if (ctx.call.path === '/v1/models') return relayModels(ctx, ures, key, release);
        const relayOpts: RelayOptions = {
          scrub: deps.scrub,
          cost: deps.cost,
          spent: (usd) => deps.spent(key, usd),
          scope: key.models,
          upstreamDown: deps.upstreamDown,
        };
        relayAnswer(ctx, ures, relayOpts, release);
      },
      error: (err) => {
        release();
        if (res.headersSent) {
          res.destroy();
          return finish(502, `LiteLLM connection lost mid-answer: ${err.code ?? err.message}`);
        }
        // A kept-alive socket LiteLLM closed as the request went out: nothing was answered, try once more.
        if (!retried && (err.code === 'ECONNRESET' || err.code === 'UND_ERR_SOCKET'))
          return forwardToLitellm(ctx, key, body, deps, true);
        const ready = deps.target();
        if (!ready || ready !== target || err.code === 'ECONNREFUSED') {
          const why = deps.unavailable();
          return fail(
            gatewayErrors.unavailable(ready ? 'LiteLLM is restarting' : why.message, why.retryAfterS ?? 5),
          );
        }
        fail(gatewayErrors.upstream(`LiteLLM did not answer: ${err.code ?? err.message}`));
      },
    },
  );
  res.once('close', () => {
    if (!res.writableFinished) upstream.abort();
  });
}
