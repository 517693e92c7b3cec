// What of LiteLLM's answer reaches an agent: an allow-list of response headers, and SSE error events scrubbed of secrets.
import type http from 'node:http';

/**
 * Response headers passed to agents: the body's framing and the ones SDKs read (retries, rate limits,
 * request ids). Everything else is dropped — LiteLLM's own `x-litellm-*` (api base, key spend, model ids)
 * and the provider's raw headers it re-sends as `llm_provider-*` (a provider may echo anything there,
 * its key included).
 */
const PASSED = new Set([
  'content-type',
  'content-length',
  'cache-control',
  'retry-after',
  'retry-after-ms',
  'x-request-id',
  'request-id',
  'openai-processing-ms',
  'openai-version',
  'x-accel-buffering',
]);
const PASSED_PREFIXES = ['x-ratelimit-', 'anthropic-ratelimit-'];

/**
 * The headers of LiteLLM's answer that an agent may see (see PASSED above). `dropContentLength` when the
 * body may be rewritten on the way (scrubbed SSE).
 */
export function answerHeaders(
  from: http.IncomingHttpHeaders,
  dropContentLength: boolean,
): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const name in from) {
    const value = from[name];
    if (value === undefined) continue;
    if (PASSED.has(name)) {
      if (name !== 'content-length' || !dropContentLength) out[name] = value;
    } else for (const p of PASSED_PREFIXES) if (name.startsWith(p)) out[name] = value;
  }
  return out;
}

const EMPTY = Buffer.alloc(0);
const NL = 10;
/** A partial line held longer than this is passed on (minus a trailing key-like token). */
const MAX_HELD = 1024 * 1024;

/** Index where a trailing run of key-like bytes (base62, `-`, `_`, `.`; at most 512) starts, else `buf.length`. */
export function trailingTokenStart(buf: Buffer): number {
  let i = buf.length;
  while (i > 0 && buf.length - i < 512) {
    const b = buf[i - 1]!;
    const keyLike =
      (b >= 48 && b <= 57) ||
      (b >= 65 && b <= 90) ||
      (b >= 97 && b <= 122) ||
      b === 45 ||
      b === 95 ||
      b === 46;
    if (!keyLike) break;
    i--;
  }
  return i;
}

/**
 * Passes a Server-Sent Events stream through line by line and scrubs the lines of any chunk that
 * mentions `error` (LiteLLM's mid-stream `data: {"error": …}`, Anthropic's and the Responses API's
 * `error` events): a provider error may echo its key. Chunks without it pass unchanged (no copy, no
 * decoding). A chunk's unfinished last line is held until its newline arrives — an SSE client cannot
 * use half a line anyway — so a secret split across chunks is still seen whole (keys hold no newline).
 */
export class SseErrorScrubber {
  private held: Buffer | null = null;

  constructor(private readonly scrub: (text: string) => string) {}

  /** The bytes to send now for one chunk from LiteLLM (possibly empty). */
  push(chunk: Buffer): Buffer {
    let buf = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = null;
    let end = buf.lastIndexOf(NL) + 1;
    if (end === 0 && buf.length > MAX_HELD) end = trailingTokenStart(buf);
    if (end < buf.length) {
      this.held = buf.subarray(end);
      buf = buf.subarray(0, end);
    }
    return this.clean(buf);
  }

  /** What is left at the end of the stream. */
  end(): Buffer {
    const rest = this.held;
    this.held = null;
    return rest ? this.clean(rest) : EMPTY;
  }

  private clean(buf: Buffer): Buffer {
    if (buf.length === 0 || buf.indexOf('error') === -1) return buf;
    const text = buf.toString('utf8');
    const scrubbed = this.scrub(text);
    return scrubbed === text ? buf : Buffer.from(scrubbed, 'utf8');
  }
}
