// Probes a provider's model listing over HTTP and turns every failure into a clear, classified message.
import type { ProbeOutcome } from '../../../contract/providers';
import { readBodyUpTo } from '../../platform/http-body';
import { REDACTED } from '../../platform/secret-redactor';
import type { CatalogRecord } from './catalog';
import { MODEL_ID_RULE, parseModelList, shownId } from './model-list-parser';
import type { ParsedModel, ParsedPage } from './model-list-parser';

/** What the probe needs to know about the provider type. */
export type ProbeTarget = Pick<
  CatalogRecord,
  'label' | 'auth' | 'models' | 'models_path' | 'key_check_path' | 'docs_url'
>;

/** A probe's outcome (as the contract reports it) and, when ok, the models. */
export interface ProbeResult {
  outcome: ProbeOutcome;
  models: ParsedModel[];
}

/** Default deadline of a whole probe (all pages), in ms. */
export const PROBE_TIMEOUT_MS = 10_000;
/** Most pages followed for paginated listings (Anthropic, Gemini). */
const MAX_PAGES = 10;
/**
 * Largest listing page read, bytes (16 MiB). The biggest real listings (OpenRouter's, with pricing and
 * descriptions of every model) are a few MiB; a provider sending more is refused, and the rest of its
 * body is never read.
 */
export const PROBE_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Most models kept from one provider, over all pages; the rest are not served (the message says so). */
export const PROBE_MAX_MODELS = 2000;
/** Anthropic API version header value (docs.anthropic.com, "Versions"). */
const ANTHROPIC_VERSION = '2023-06-01';

type Kind = ProbeOutcome['kind'];

/** Request headers for `auth` with `key` (none when the key is null or the style is `none`). */
export function authHeaders(auth: CatalogRecord['auth'], key: string | null): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json' };
  if (auth === 'x-api-key') h['anthropic-version'] = ANTHROPIC_VERSION;
  if (!key) return h;
  if (auth === 'bearer') h.Authorization = `Bearer ${key}`;
  else if (auth === 'x-api-key') h['x-api-key'] = key;
  else if (auth === 'x-goog-api-key') h['x-goog-api-key'] = key;
  return h;
}

function pageUrl(
  base: string,
  target: ProbeTarget,
  cursor: string | null,
  path = target.models_path,
): string {
  const url = new URL(base.replace(/\/+$/, '') + path);
  if (path === target.models_path && target.models === 'anthropic') {
    url.searchParams.set('limit', '1000');
    if (cursor) url.searchParams.set('after_id', cursor);
  } else if (path === target.models_path && target.models === 'gemini') {
    url.searchParams.set('pageSize', '1000');
    if (cursor) url.searchParams.set('pageToken', cursor);
  }
  return url.toString();
}

/** The first error code found on a fetch error's cause chain (undici wraps socket errors; Node 20 may use AggregateError). */
function causeCode(err: unknown): string | null {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const o = e as { code?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof o.code === 'string' && o.code !== 'UND_ERR_SOCKET') return o.code;
    e = o.cause ?? (Array.isArray(o.errors) ? o.errors[0] : undefined);
  }
  return null;
}

const TLS_CODE =
  /^(CERT_|ERR_TLS|ERR_SSL|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|EPROTO$|HOSTNAME_MISMATCH|ERR_INVALID_CERT)/;

/**
 * Classifies a failed `fetch` (no HTTP answer) from `err.name` and the cause's code (Node's undici:
 * ENOTFOUND/EAI_AGAIN = DNS, ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT or a TimeoutError = timeout,
 * certificate and SSL codes = TLS).
 * @returns the kind and one line for the user.
 */
export function describeFetchError(
  err: unknown,
  url: string,
  timeoutMs: number,
): { kind: Kind; message: string } {
  const u = new URL(url);
  const hostPort = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  const code = causeCode(err);
  const name = err instanceof Error ? err.name : '';
  if (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'ETIMEDOUT'
  )
    return {
      kind: 'timeout',
      message: `Timeout: ${hostPort} did not answer within ${(timeoutMs / 1000).toFixed(1)} s. Is the server up and the URL right?`,
    };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL')
    return {
      kind: 'dns',
      message: `DNS: host "${u.hostname}" was not found (${code}). Check the base URL for typos and your network.`,
    };
  if (code === 'ECONNREFUSED')
    return {
      kind: 'refused',
      message: `Connection refused by ${hostPort}: nothing is listening there. Is the server running on that port?`,
    };
  if (code && TLS_CODE.test(code)) {
    const hint = /WRONG_VERSION|EPROTO|PACKET_LENGTH/.test(code)
      ? 'the server may not speak HTTPS (use http:// for a local server)'
      : 'its certificate is not trusted by this machine';
    return { kind: 'tls', message: `TLS error with ${hostPort} (${code}): ${hint}.` };
  }
  const causeMessage = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
  if (causeMessage === 'bad port')
    return {
      kind: 'network',
      message: `Port ${u.port} is blocked for HTTP clients (a "bad port" of the Fetch standard, e.g. 9, 6000, 6665–6669): run the server on another port.`,
    };
  const detail = code ?? (causeMessage || (err instanceof Error ? err.message : String(err)));
  return { kind: 'network', message: `Network error reaching ${hostPort} (${detail}).` };
}

/** A short error text from an upstream error body (`error.message`, `error`, `message`, `detail`), with the key scrubbed. */
function upstreamMessage(text: string, key: string | null): string {
  let msg = '';
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const err = body.error;
    const pick = (v: unknown) => (typeof v === 'string' ? v : '');
    msg =
      (err && typeof err === 'object' ? pick((err as Record<string, unknown>).message) : pick(err)) ||
      pick(body.message) ||
      pick(body.detail);
  } catch {
    msg = '';
  }
  if (key) msg = msg.split(key).join(REDACTED);
  msg = msg.replace(/\s+/g, ' ').trim();
  return msg.length > 160 ? `${msg.slice(0, 157)}…` : msg;
}

/** The user-facing line for an HTTP error status. */
export function describeHttpStatus(
  status: number,
  ctx: {
    url: string;
    label: string;
    hadKey: boolean;
    docsUrl: string;
    upstream: string;
    location?: string | null;
  },
): { kind: Kind; message: string } {
  const said = ctx.upstream ? ` (${ctx.upstream})` : '';
  if (status === 401)
    return {
      kind: 'unauthorized',
      message: ctx.hadKey
        ? `401 Unauthorized: ${ctx.label} refused the key${said}. Check it, or create a new one at ${ctx.docsUrl}.`
        : `401 Unauthorized: ${ctx.label} wants a key and none is set${said}. Add one.`,
    };
  if (status === 403)
    return {
      kind: 'forbidden',
      message: `403 Forbidden: ${ctx.label} accepted the request but denies access${said}. Check the key's permissions, project or region.`,
    };
  if (status === 404)
    return {
      kind: 'not_found',
      message: `404 Not Found at ${ctx.url}: check the base URL (OpenAI-compatible servers usually end in /v1).`,
    };
  if (status >= 300 && status < 400)
    return {
      kind: 'http_error',
      message: `HTTP ${status}: redirected to ${ctx.location ?? 'another URL'}. Use the final URL as the base URL.`,
    };
  if (status === 429)
    return {
      kind: 'http_error',
      message: `429 Too Many Requests: ${ctx.label} is rate limiting${said}. Try again later.`,
    };
  return { kind: 'http_error', message: `HTTP ${status} from ${ctx.label}${said}.` };
}

function outcome(
  kind: Kind,
  message: string,
  url: string,
  started: number,
  status: number | null,
  count: number | null,
): ProbeOutcome {
  return {
    ok: kind === 'ok',
    kind,
    message,
    url,
    http_status: status,
    latency_ms: Math.round(performance.now() - started),
    model_count: count,
  };
}

/**
 * Lists the models of a provider: `GET {baseUrl}{models_path}` (following Anthropic/Gemini pages),
 * then the key check path if the listing is public (OpenRouter). Redirects are not followed (a key
 * header must never be sent to another host). Never throws: every failure is an outcome.
 * @param opts.key the key to send (in a header, never in the URL), or `null`.
 * @param opts.timeoutMs deadline of the whole probe in ms (default {@link PROBE_TIMEOUT_MS}).
 */
export async function probeModels(opts: {
  baseUrl: string;
  target: ProbeTarget;
  key: string | null;
  timeoutMs?: number;
}): Promise<ProbeResult> {
  const { target, key } = opts;
  const timeoutMs = opts.timeoutMs ?? PROBE_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  const headers = authHeaders(target.auth, key);
  const firstUrl = pageUrl(opts.baseUrl, target, null);
  const models: ParsedModel[] = [];
  const get = async (url: string): Promise<{ res: Response; text: string; over: boolean } | ProbeResult> => {
    try {
      const res = await fetch(url, { headers, signal, redirect: 'manual' });
      // An error answer is only read for its message: its first 64 KiB are plenty.
      const body = await readBodyUpTo(res, res.ok ? PROBE_MAX_BODY_BYTES : 64 * 1024);
      return { res, text: body.text, over: body.over };
    } catch (err) {
      const d = describeFetchError(
        signal.aborted ? Object.assign(new Error('timeout'), { name: 'TimeoutError' }) : err,
        url,
        timeoutMs,
      );
      return { outcome: outcome(d.kind, d.message, firstUrl, started, null, null), models: [] };
    }
  };
  const httpFail = (url: string, res: Response, text: string): ProbeResult => {
    const d = describeHttpStatus(res.status, {
      url,
      label: target.label,
      hadKey: Boolean(key),
      docsUrl: target.docs_url,
      upstream: upstreamMessage(text, key),
      location: res.headers.get('location'),
    });
    return { outcome: outcome(d.kind, d.message, firstUrl, started, res.status, null), models: [] };
  };

  let cursor: string | null = null;
  const invalid: ParsedPage['invalid'] = { count: 0, examples: [] };
  const ids = new Set<string>();
  let cut = false;
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = pageUrl(opts.baseUrl, target, cursor);
    const got = await get(url);
    if ('outcome' in got) return got;
    if (!got.res.ok) return httpFail(url, got.res, got.text);
    if (got.over)
      return {
        outcome: outcome(
          'bad_response',
          `${url} answered more than ${PROBE_MAX_BODY_BYTES / 1024 / 1024} MiB, far more than a model list; the rest was not read. Check the base URL.`,
          firstUrl,
          started,
          got.res.status,
          null,
        ),
        models: [],
      };
    let body: unknown;
    try {
      body = JSON.parse(got.text);
    } catch {
      const ct = got.res.headers.get('content-type') ?? 'no content type';
      return {
        outcome: outcome(
          'bad_response',
          `${url} answered ${got.res.status} with ${ct}, not a JSON model list. Check the base URL.`,
          firstUrl,
          started,
          got.res.status,
          null,
        ),
        models: [],
      };
    }
    const parsed = parseModelList(body, target.models, PROBE_MAX_MODELS - models.length);
    if (!parsed)
      return {
        outcome: outcome(
          'bad_response',
          `${url} answered JSON that is not a model list (expected data[], models[] or an array). Check the base URL.`,
          firstUrl,
          started,
          got.res.status,
          null,
        ),
        models: [],
      };
    for (const m of parsed.models) {
      if (ids.has(m.id)) continue;
      ids.add(m.id);
      models.push(m);
    }
    invalid.count += parsed.invalid.count;
    invalid.examples.push(...parsed.invalid.examples.slice(0, 3 - invalid.examples.length));
    cursor = parsed.next;
    if (parsed.cut || (cursor && models.length >= PROBE_MAX_MODELS)) {
      cut = true;
      break;
    }
    if (!cursor) break;
  }
  if (models.length === 0 && invalid.count > 0)
    return {
      outcome: outcome(
        'bad_response',
        `${firstUrl} listed no valid model id (${invalidNote(invalid)}).`,
        firstUrl,
        started,
        200,
        null,
      ),
      models: [],
    };
  if (target.key_check_path) {
    const url = pageUrl(opts.baseUrl, target, null, target.key_check_path);
    const got = await get(url);
    if ('outcome' in got) return got;
    if (!got.res.ok) return httpFail(url, got.res, got.text);
  }
  const n = models.length;
  let message = `${n} model${n === 1 ? '' : 's'}`;
  if (cut) message += `; the listing has more, only the first ${PROBE_MAX_MODELS} are kept`;
  if (invalid.count) message += `; skipped ${invalidNote(invalid)}`;
  return { outcome: outcome('ok', message, firstUrl, started, 200, n), models };
}

/** `2 ids that are not valid model ids ("a,b": contains ","; …). A model id is …`. */
function invalidNote(invalid: ParsedPage['invalid']): string {
  const examples = invalid.examples.map((e) => `${shownId(e.id)}: ${e.why}`).join('; ');
  const n = invalid.count;
  return `${n} id${n === 1 ? ' that is not a valid model id' : 's that are not valid model ids'} (${examples}). A model id is ${MODEL_ID_RULE}`;
}
