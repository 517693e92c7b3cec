// What of LiteLLM's answer reaches an agent: an allow-list of response headers, and SSE error events scrubbed of secrets (and noted for the call's record).
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

/** Bytes of the stream's end kept to recover the model's text when an error event arrives (16 KiB). */
const TAIL_BYTES = 16 * 1024;

/**
 * Passes a Server-Sent Events stream through line by line and scrubs the lines of any chunk that
 * mentions `error` (LiteLLM's mid-stream `data: {"error": …}`, Anthropic's and the Responses API's
 * `error` events): a provider error may echo its key. Chunks without it pass unchanged (no copy, no
 * decoding). A chunk's unfinished last line is held until its newline arrives — an SSE client cannot
 * use half a line anyway — so a secret split across chunks is still seen whole (keys hold no newline).
 *
 * The same pass notes the first error event (after scrubbing) for the call's record: LiteLLM answers
 * 200 and starts streaming before the provider fails, then sends `data: {"error": {"message": …}}`
 * (llama.cpp's server refusing a tool call it cannot parse, docs/decisions/012-real-model.md). The last
 * 16 KiB sent are kept (as the chunks sent, no copy) so {@link streamError} can show the model's text
 * streamed before the error.
 */
export class SseErrorScrubber {
  private held: Buffer | null = null;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private error: { message: string; before: string } | null = null;

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
    return this.keep(this.clean(buf));
  }

  /** What is left at the end of the stream. */
  end(): Buffer {
    const rest = this.held;
    this.held = null;
    return rest ? this.keep(this.clean(rest)) : EMPTY;
  }

  /**
   * The first error event of the stream (call after {@link end}), scrubbed, as one line with the model's
   * text before it (`<message> — the model's output before the error: <text>`), or `null` when there was none.
   */
  streamError(): string | null {
    if (!this.error) return null;
    const output = this.error.before.trim();
    const shown = output.length > 2000 ? `${output.slice(0, 1999)}…` : output;
    return shown
      ? `${this.error.message} — the model's output before the error: ${shown}`
      : this.error.message;
  }

  private clean(buf: Buffer): Buffer {
    if (buf.length === 0 || buf.indexOf('error') === -1) return buf;
    const text = buf.toString('utf8');
    const scrubbed = this.scrub(text);
    if (!this.error) this.noteError(scrubbed);
    return scrubbed === text ? buf : Buffer.from(scrubbed, 'utf8');
  }

  /** Keeps `buf` (complete lines, about to be sent) in the tail of at most ~16 KiB. */
  private keep(buf: Buffer): Buffer {
    if (buf.length === 0 || this.error) return buf;
    this.tail.push(buf);
    this.tailBytes += buf.length;
    while (this.tail.length > 1 && this.tailBytes - this.tail[0]!.length >= TAIL_BYTES)
      this.tailBytes -= this.tail.shift()!.length;
    return buf;
  }

  /** Looks for an error event in `text` (complete lines); on the first, records it with the text before it. */
  private noteError(text: string): void {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const message = errorMessage(dataObject(lines[i]!));
      if (message === null) continue;
      const before = Buffer.concat(this.tail, this.tailBytes).toString('utf8') + lines.slice(0, i).join('\n');
      this.error = { message, before: streamedContent(before) };
      this.tail = [];
      this.tailBytes = 0;
      return;
    }
  }
}

/** The JSON object of one SSE `data:` line, or `null` (another field, `[DONE]`, a line cut at the tail's start). */
function dataObject(line: string): Record<string, unknown> | null {
  if (!line.startsWith('data:')) return null;
  try {
    const v = JSON.parse(line.slice(5).trim()) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The message (≤ 1000 characters, one line) of an error event: `{"error": "…" | {"message": …}}`
 * (LiteLLM, Anthropic) or `{"type": "error", "message": …}` (OpenAI Responses); `null` for other events.
 */
function errorMessage(o: Record<string, unknown> | null): string | null {
  if (!o) return null;
  const e = o.error ?? (o.type === 'error' ? o : null);
  if (!e) return null;
  const m = typeof e === 'string' ? e : (e as { message?: unknown }).message;
  const msg = typeof m === 'string' && m ? m : JSON.stringify(e);
  return msg.replace(/\s+/g, ' ').trim().slice(0, 1000);
}

/** The assistant text streamed in `choices[].delta.content` of the events in `text`. */
function streamedContent(text: string): string {
  let out = '';
  for (const line of text.split('\n')) {
    const choices = dataObject(line)?.choices;
    if (!Array.isArray(choices)) continue;
    for (const c of choices as ({ delta?: { content?: unknown } } | null)[])
      if (typeof c?.delta?.content === 'string') out += c.delta.content;
  }
  return out;
}
