// The gateway's own errors in OpenAI's JSON form, and how LiteLLM's error answers are turned into them.
import type http from 'node:http';
import type { Duplex } from 'node:stream';

/** An error the gateway answers with: HTTP status, OpenAI `type` and `code`, a message, extra headers. */
export interface GatewayError {
  status: number;
  type: string;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

/**
 * Writes `{error:{message,type,code,param:null}}` (OpenAI API reference, "Error codes") with the status.
 * `Connection: close` when `close` (the request body was not read).
 */
export function sendError(res: http.ServerResponse, e: GatewayError, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message: e.message, type: e.type, code: e.code, param: null } });
  res.writeHead(e.status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...(close ? { Connection: 'close' } : {}),
    ...e.headers,
  });
  res.end(body);
}

/**
 * Answers a request Node's HTTP parser refused before any handler ran (the server's `clientError`
 * event), in the gateway's JSON form instead of Node's bare status line, then closes the connection:
 * headers over Node's `maxHeaderSize` (16 KiB) → 431; headers or the whole request slower than
 * `headersTimeout`/`requestTimeout` → 408; anything else unparseable (bad method, bad chunking, invalid
 * header characters) → 400. A socket already reset or no longer writable is just destroyed (Node docs,
 * "Event: 'clientError'").
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'headers_too_large', 'Request headers larger than 16 KiB.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADER_TIMEOUT'
        ? [408, 'Request Timeout', 'request_timeout', 'The request was not received in time; send it again.']
        : [
            400,
            'Bad Request',
            'bad_request',
            `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'}).`,
          ];
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error', code, param: null } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Shorthands for the gateway's errors. */
export const gatewayErrors = {
  notFound: (method: string, path: string): GatewayError => ({
    status: 404,
    type: 'invalid_request_error',
    code: 'unknown_url',
    message: `Unknown path ${method} ${path}. The gateway serves POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses, /v1/messages, /v1/agentdesk/trace and GET /v1/models, /v1/agentdesk/models/<model>.`,
  }),
  modelNotFound: (model: string, why: string, served: readonly string[]): GatewayError => ({
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: `Unknown model "${model}": ${why}. Served models: ${served.join(', ') || 'none'}.`,
  }),
  traceStore: (why: string): GatewayError => ({
    status: 503,
    type: 'service_unavailable',
    code: 'trace_store_unavailable',
    message: `The trace events could not be stored (${why}); nothing was kept, send them again.`,
    headers: { 'Retry-After': '1' },
  }),
  noKey: (): GatewayError => ({
    status: 401,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'No virtual key: send `Authorization: Bearer sk-agentdesk-…` or `x-api-key`.',
  }),
  unknownKey: (): GatewayError => ({
    status: 401,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Unknown virtual key.',
  }),
  revokedKey: (): GatewayError => ({
    status: 401,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'This virtual key was revoked.',
  }),
  ownerRefused: (why: string): GatewayError => ({
    status: 403,
    type: 'permission_error',
    code: 'owner_not_allowed',
    message: why,
  }),
  outOfScope: (model: string, allowed: readonly string[]): GatewayError => ({
    status: 403,
    type: 'permission_error',
    code: 'model_not_allowed',
    message: `Model "${model}" is not allowed for this key. Allowed models: ${allowed.join(', ')}`,
  }),
  rate: (rpm: number, retryAfterS: number): GatewayError => ({
    status: 429,
    type: 'rate_limit_error',
    code: 'rate_limit_exceeded',
    message: `Rate limit of this key reached: ${rpm} requests per minute.`,
    headers: { 'Retry-After': String(retryAfterS) },
  }),
  budget: (budgetUsd: number, spentUsd: number): GatewayError => ({
    status: 429,
    type: 'insufficient_quota',
    code: 'budget_exceeded',
    message: `Budget of this key reached: spent ${spentUsd.toFixed(6)} of ${budgetUsd} USD.`,
  }),
  tooLarge: (limit: number): GatewayError => ({
    status: 413,
    type: 'invalid_request_error',
    code: 'request_too_large',
    message: `Request body larger than ${Math.round(limit / 1024 / 1024)} MiB.`,
  }),
  fieldRefused: (field: string, path: string, allowed: readonly string[]): GatewayError => ({
    status: 400,
    type: 'invalid_request_error',
    code: 'field_not_allowed',
    message: `The request field "${field}" is not accepted by this gateway: it is an instruction to LiteLLM (another model, endpoint, credentials, retries, prices or a fake answer), not to the model. Fields accepted on ${path}: ${allowed.join(', ')}.`,
  }),
  badHost: (host: string, port: number): GatewayError => ({
    status: 403,
    type: 'permission_error',
    code: 'host_not_allowed',
    message: `Host "${host.slice(0, 200)}" is not allowed: call the gateway at its address (http://127.0.0.1:${port}/v1 on this machine, OPENAI_BASE_URL in an agent).`,
  }),
  servedOutOfScope: (served: string, requested: string, allowed: readonly string[]): GatewayError => ({
    status: 502,
    type: 'upstream_error',
    code: 'served_model_not_allowed',
    message: `LiteLLM answered with model "${served}" instead of "${requested}", and this key may not use it (allowed models: ${allowed.join(', ')}); the answer was withheld.`,
  }),
  /** A content part names a URL the host would download (see media.ts); `why` names the field. */
  mediaUrl: (why: string): GatewayError => ({
    status: 400,
    type: 'invalid_request_error',
    code: 'media_url_not_allowed',
    message: why,
  }),
  badBody: (why: string): GatewayError => ({
    status: 400,
    type: 'invalid_request_error',
    code: 'invalid_body',
    message: why,
  }),
  unavailable: (why: string, retryAfterS: number | null): GatewayError => ({
    status: 503,
    type: 'service_unavailable',
    code: 'litellm_not_ready',
    message: why,
    headers: retryAfterS === null ? {} : { 'Retry-After': String(retryAfterS) },
  }),
  /** The provider's server did not answer (upstream-down.ts names it, e.g. "llama.cpp at 127.0.0.1:8080 …"). */
  providerDown: (why: string): GatewayError => ({
    status: 502,
    type: 'upstream_error',
    code: 'provider_unreachable',
    message: why,
  }),
  upstream: (why: string): GatewayError => ({
    status: 502,
    type: 'upstream_error',
    code: 'upstream_failure',
    message: why,
  }),
};

/** The `error` object of a LiteLLM error answer, when it has one. */
function errorObject(body: string): { message?: unknown; type?: unknown } | null {
  try {
    const o = JSON.parse(body) as { error?: unknown; detail?: unknown };
    if (o.error && typeof o.error === 'object') return o.error;
    if (typeof o.error === 'string') return { message: o.error };
    if (o.detail) return { message: typeof o.detail === 'string' ? o.detail : JSON.stringify(o.detail) };
  } catch {
    /* not JSON */
  }
  return null;
}

/**
 * Decides what the caller sees for an error answer of LiteLLM (status ≥ 400, body read whole).
 * - LiteLLM refusing the master key (401, 403, or 400 `no_db_connection` — measured: a wrong master key
 *   gets 400 "No connected db." on litellm 1.106.2) → 502: the caller's key was fine, ours was not.
 * - A provider refusing its key (LiteLLM's `AuthenticationError`, 401) → 502 naming the provider key.
 * - 5xx → 502 with LiteLLM's message.
 * - Other 4xx (bad request, unknown model, provider rate limit) → passed on with LiteLLM's message.
 * Never passes LiteLLM's own auth errors through. Messages go through `scrub` (secret redaction) before
 * they are cut to 2 000 characters.
 * @returns `pass` (status and body unchanged, scrubbed) or a gateway error.
 */
export function classifyLitellmError(
  status: number,
  body: string,
  scrub: (s: string) => string,
): { pass: true; body: string } | { pass: false; error: GatewayError } {
  const err = errorObject(body);
  const raw =
    typeof err?.message === 'string' ? err.message : err?.message ? JSON.stringify(err.message) : body;
  // Scrubbed whole, then cut: a secret straddling the cut would otherwise leave its prefix behind.
  const message = scrub(raw).slice(0, 2000).trim();
  const type = typeof err?.type === 'string' ? err.type : '';
  if (/AuthenticationError|PermissionDeniedError/.test(message))
    return {
      pass: false,
      error: gatewayErrors.upstream(
        `The provider refused its API key (check the provider's key in Agent Desk): ${message}`,
      ),
    };
  if (status === 401 || status === 403 || type === 'no_db_connection' || type === 'auth_error')
    return {
      pass: false,
      error: gatewayErrors.upstream(
        "LiteLLM refused the gateway's master key (an internal fault: see the LiteLLM log in the System view).",
      ),
    };
  if (status >= 500) return { pass: false, error: gatewayErrors.upstream(`Upstream failure: ${message}`) };
  return { pass: true, body: scrub(body) };
}
