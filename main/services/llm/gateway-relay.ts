// The answer side of the gateway: LiteLLM's response piped to the caller as it arrives, usage and cost read on the way.
import type http from 'node:http';
import { classifyLitellmError, gatewayErrors, sendError } from './gateway-errors';
import type { GatewayError } from './gateway-errors';
import type { LlmCall } from './llm-calls';
import { JsonUsageCollector, SseUsageScanner } from './llm-usage';
import { inScope } from './virtual-keys';
import type { VirtualKeyRecord } from './virtual-keys';

/** One request in progress in the gateway. */
export interface GatewayRequest {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** The record being filled; written to the sink by `finish`. */
  call: LlmCall;
  /** performance.now() at arrival. */
  t0: number;
  /** Ends the record (once): HTTP status sent and error, if any. */
  finish: (status: number, error: string | null) => void;
  /** Answers with a gateway error and ends the record. */
  fail: (e: GatewayError, close?: boolean) => void;
}

/** Response headers never passed on: hop-by-hop, cookies, and LiteLLM's own (`x-litellm-*`: api base, key info). */
const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-authenticate',
  'trailer',
  'upgrade',
  'set-cookie',
]);

/** What the relay needs from the gateway. */
export interface RelayOptions {
  scrub?: (text: string) => string;
  cost?: (model: string, tokensIn: number, tokensOut: number) => number | null;
  /** Records the spending of the call on its key (USD, `null` when unknown). */
  spent: (usd: number | null) => void;
}

/**
 * Relays one LiteLLM answer. Errors (status ≥ 400) are read whole and classified (classifyLitellmError):
 * LiteLLM auth errors and 5xx become the gateway's 502, others pass with their status. Successes are
 * piped chunk by chunk as they arrive (no buffering; Node's pipe keeps backpressure), while usage is
 * read on the side: SSE events for streams (TTFT = first body byte), the JSON body otherwise.
 * Cost: LiteLLM's `x-litellm-response-cost` for whole answers, else tokens × LiteLLM's price map.
 */
export function relayAnswer(
  ctx: GatewayRequest,
  ures: http.IncomingMessage,
  opts: RelayOptions,
  release: () => void,
): void {
  const { res, call, finish } = ctx;
  const status = ures.statusCode ?? 502;
  const scrub = opts.scrub ?? ((s: string) => s);
  if (status >= 400) {
    const chunks: Buffer[] = [];
    ures.on('data', (c: Buffer) => chunks.length < 256 && chunks.push(c));
    ures.on('end', () => {
      release();
      const verdict = classifyLitellmError(status, Buffer.concat(chunks).toString('utf8'), scrub);
      if (!verdict.pass) {
        sendError(res, verdict.error);
        return finish(verdict.error.status, verdict.error.message);
      }
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(verdict.body),
      });
      res.end(verdict.body);
      finish(status, verdict.body.slice(0, 500));
    });
    ures.on('error', () => release());
    return;
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(ures.headers))
    if (value !== undefined && !DROP_RESPONSE.has(name) && !name.startsWith('x-litellm'))
      headers[name] = value;
  const litellmCost = Number(ures.headers['x-litellm-response-cost']);
  const isSse = String(ures.headers['content-type'] ?? '').startsWith('text/event-stream');
  res.writeHead(status, headers);
  const sse = isSse ? new SseUsageScanner() : null;
  const json = isSse ? null : new JsonUsageCollector();
  let first = true;
  ures.on('data', (c: Buffer) => {
    if (first) {
      first = false;
      if (call.stream) call.ttft_ms = Math.round((performance.now() - ctx.t0) * 100) / 100;
    }
    if (sse) sse.push(c);
    else json!.push(c);
  });
  ures.pipe(res);
  ures.on('end', () => {
    release();
    const usage = sse ? sse.result() : json!.result();
    call.tokens_in = usage?.tokensIn ?? null;
    call.tokens_out = usage?.tokensOut ?? null;
    if (!isSse && Number.isFinite(litellmCost) && litellmCost > 0) call.cost_usd = litellmCost;
    else if (usage && call.model && opts.cost)
      call.cost_usd = opts.cost(call.model, usage.tokensIn ?? 0, usage.tokensOut ?? 0);
    opts.spent(call.cost_usd);
  });
  ures.on('error', () => {
    release();
    res.destroy();
  });
}

/** `GET /v1/models` from LiteLLM, answered with only the models in the key's scope. */
export function relayModels(
  ctx: GatewayRequest,
  ures: http.IncomingMessage,
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
