// The gateway's own paths for runtimes: `POST /v1/agentdesk/trace` (tool events) and `GET /v1/agentdesk/models/<model>`.
import crypto from 'node:crypto';
import type http from 'node:http';
import { readRequestUpTo } from '../../../platform/http-body';
import type { Logger } from '../../../platform/logging';
import { parseTraceBatch, TRACE_MAX_BODY_BYTES } from '../agent-trace';
import type { AgentTraceSink } from '../agent-trace-sink';
import { gatewayErrors, sendError } from './errors';
import type { GatewayError } from './errors';
import type { GatewayPolicy } from './policy';
import type { ModelInfo } from '../model-info';
import { DEFAULT_TRACE_LIMITS, TraceQuota } from '../trace-quota';
import type { QuotaVerdict, TraceLimits } from '../trace-quota';
import type { VirtualKeyRecord } from '../virtual-keys';

/** Every path of this file starts with this. */
export const AGENTDESK_PREFIX = '/v1/agentdesk/';
const TRACE_PATH = '/v1/agentdesk/trace';
const MODELS_PREFIX = '/v1/agentdesk/models/';

/** What the runtime paths need from the gateway's owner. */
export interface AgentdeskRouteOptions {
  /** Where tool events go; without one, the trace path answers 404. */
  traceSink?: AgentTraceSink;
  /** Describes a model for `verify`; without it, the models path answers 404. */
  describeModel?: (model: string) => Promise<{ info: ModelInfo } | { error: GatewayError }>;
  /** Secret redaction applied to trace bodies before they are parsed and stored. */
  scrub?: (text: string) => string;
  /** Per-agent limits of the trace path (default {@link DEFAULT_TRACE_LIMITS}: 240 posts/min, 64 MiB/h). */
  traceLimits?: TraceLimits;
  log: Logger;
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  if (res.destroyed || res.headersSent) return;
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Serves the runtime paths (resources/agent-runtime/PROTOCOL.md, "Trace" and
 * "Verify"). Both take the virtual key like the model paths (401 missing/unknown/revoked, 403 when the
 * owner may not call) but count against neither rate nor budget, and write no `llm_call` record.
 * - `POST /v1/agentdesk/trace` `{events:[1–256]}`, ≤ 1 MiB (413) → the agent's trace limits (429 with
 *   Retry-After, before the body is read: {@link TraceQuota}) → validated (400 naming the field) →
 *   handed to the sink as events of the key's owner, known secrets redacted → `200 {accepted: n}` once
 *   durable, 503 when the sink fails. The first refusal in 10 minutes is also recorded in the agent's
 *   trace as an `error` event, and logged.
 * - `GET /v1/agentdesk/models/<model>` (the rest of the path, URL-decoded: ids contain `/`) → 403
 *   outside the key's scope → `200 {id, provider, served, key}`.
 */
export class AgentdeskRoutes {
  private readonly quota: TraceQuota;

  constructor(
    private readonly opts: AgentdeskRouteOptions,
    private readonly policy: GatewayPolicy,
  ) {
    this.quota = new TraceQuota(opts.traceLimits ?? DEFAULT_TRACE_LIMITS);
  }

  /** Answers one request whose path starts with {@link AGENTDESK_PREFIX}. Never throws. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
    const fail = (e: GatewayError, close = false) => {
      req.resume();
      sendError(res, e, close);
    };
    const isTrace = req.method === 'POST' && path === TRACE_PATH && this.opts.traceSink;
    const isModel = req.method === 'GET' && path.startsWith(MODELS_PREFIX) && this.opts.describeModel;
    if (!isTrace && !isModel) return fail(gatewayErrors.notFound(req.method ?? '?', path));
    const auth = this.policy.authenticate(req.headers);
    if ('error' in auth) return fail(auth.error);
    const work = isTrace ? this.trace(req, res, auth.key) : this.model(req, res, path, auth.key);
    work.catch((err: unknown) => {
      this.opts.log.error({ err, path }, 'gateway runtime path failed');
      fail(gatewayErrors.upstream(`Internal error: ${(err as Error).message}`));
    });
  }

  private async trace(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    key: VirtualKeyRecord,
  ): Promise<void> {
    const declared = Number(req.headers['content-length'] ?? 0) || 0;
    if (declared > TRACE_MAX_BODY_BYTES) {
      req.resume();
      return sendError(res, gatewayErrors.tooLarge(TRACE_MAX_BODY_BYTES), true);
    }
    const admitted = this.quota.admit(key.owner, declared);
    if (!admitted.ok) return this.refused(req, res, key.owner, admitted);
    const raw = await readRequestUpTo(req, TRACE_MAX_BODY_BYTES);
    if (!raw) return sendError(res, gatewayErrors.tooLarge(TRACE_MAX_BODY_BYTES), true);
    const charged = this.quota.charge(key.owner, raw.length);
    if (!charged.ok) return this.refused(req, res, key.owner, charged);
    let body: unknown;
    try {
      // Known secrets (provider, master and virtual keys) never reach the trace, e.g. a key a tool printed.
      // They are base62-like, so they appear unescaped in the JSON text and "[REDACTED]" keeps it valid.
      const text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
      body = JSON.parse(this.opts.scrub ? this.opts.scrub(text) : text);
    } catch {
      return sendError(
        res,
        gatewayErrors.badBody('The request body must be JSON in UTF-8: {"events": [...]}.'),
      );
    }
    const parsed = parseTraceBatch(body);
    if (!parsed.ok) return sendError(res, gatewayErrors.badBody(parsed.error));
    try {
      await this.opts.traceSink!.append(key.owner, parsed.events);
    } catch (err) {
      this.opts.log.error({ err, owner: key.owner }, 'trace events could not be stored');
      return sendError(res, gatewayErrors.traceStore((err as Error).message));
    }
    sendJson(res, 200, { accepted: parsed.events.length });
  }

  /**
   * Answers a post refused by the trace limits (429, the body left unread, the connection closed), and
   * for the first refusal in 10 minutes logs it and records it in the agent's own trace, so the user
   * sees why tool events are missing.
   */
  private refused(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    owner: string,
    verdict: Extract<QuotaVerdict, { ok: false }>,
  ): void {
    req.resume();
    sendError(res, verdict.error, true);
    if (!verdict.report) return;
    this.opts.log.warn({ owner, code: verdict.error.code }, 'agent trace posts refused by the trace limits');
    const now = Date.now();
    this.opts
      .traceSink!.append(owner, [
        {
          id: crypto.randomUUID(),
          trace_id: `trace-limit-${now}`,
          parent_id: null,
          created_at: now,
          kind: 'error',
          thread_id: null,
          payload: { message: `Agent Desk refused this agent's trace events: ${verdict.error.message}` },
        },
      ])
      .catch((err: unknown) =>
        this.opts.log.error({ err, owner }, 'the trace limit event could not be stored'),
      );
  }

  private async model(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    key: VirtualKeyRecord,
  ): Promise<void> {
    req.resume();
    let model: string;
    try {
      model = decodeURIComponent(path.slice(MODELS_PREFIX.length));
    } catch {
      return sendError(
        res,
        gatewayErrors.badBody('The model in the path is not valid URL encoding (encode it per RFC 3986).'),
      );
    }
    if (!model)
      return sendError(
        res,
        gatewayErrors.badBody('Name a model: GET /v1/agentdesk/models/<provider-id>/<model-id>.'),
      );
    const outOfScope = this.policy.scope(key, model);
    if (outOfScope) return sendError(res, outOfScope);
    const r = await this.opts.describeModel!(model);
    if ('error' in r) return sendError(res, r.error);
    sendJson(res, 200, r.info);
  }
}
