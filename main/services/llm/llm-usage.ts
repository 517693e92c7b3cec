// Token usage read from model API answers: OpenAI chat/completions/embeddings, Responses, Anthropic messages; JSON or SSE.

/** Tokens of one call; a side is `null` when the answer did not say. */
export interface Usage {
  tokensIn: number | null;
  tokensOut: number | null;
}

type Json = Record<string, unknown>;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Usage from one parsed answer or SSE event. Recognises `usage` with `prompt_tokens`/`completion_tokens`
 * (OpenAI chat, completions, embeddings) or `input_tokens`/`output_tokens` (Anthropic messages, OpenAI
 * Responses), at the top level, under `message` (Anthropic `message_start`) or under `response`
 * (Responses `response.completed`). `null` when there is none.
 */
export function usageOf(obj: unknown): Usage | null {
  if (!obj || typeof obj !== 'object') return null;
  const o = obj as Json;
  const u = (o.usage ?? (o.message as Json | undefined)?.usage ?? (o.response as Json | undefined)?.usage) as
    Json | undefined;
  if (!u || typeof u !== 'object') return null;
  const tokensIn = num(u.prompt_tokens) ?? num(u.input_tokens);
  const tokensOut = num(u.completion_tokens) ?? num(u.output_tokens);
  return tokensIn === null && tokensOut === null ? null : { tokensIn, tokensOut };
}

/** Combines usage seen in several events: the largest value of each side (counts only grow in a stream). */
export function mergeUsage(a: Usage | null, b: Usage | null): Usage | null {
  if (!a) return b;
  if (!b) return a;
  const max = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.max(x, y));
  return { tokensIn: max(a.tokensIn, b.tokensIn), tokensOut: max(a.tokensOut, b.tokensOut) };
}

/**
 * Watches a Server-Sent Events stream as it passes (never holding it back) and keeps the usage it
 * reports. Only `data:` lines that mention `"usage"` are parsed, so the cost per chunk is a byte scan.
 * A partial line is kept between chunks, up to 1 MiB.
 */
export class SseUsageScanner {
  private partial = '';
  private usage: Usage | null = null;
  /** `data:` fields seen: about one per streamed event (the estimate of a cut stream's output). */
  events = 0;

  /** Feeds one chunk of the stream. */
  push(chunk: Buffer): void {
    for (let i = chunk.indexOf('data:'); i !== -1; i = chunk.indexOf('data:', i + 5)) this.events++;
    if (this.partial === '' && chunk.indexOf('usage') === -1 && chunk.indexOf('\n') !== -1) {
      // Common case: no usage here. Keep only the unfinished last line.
      const lastNl = chunk.lastIndexOf('\n');
      if (lastNl < chunk.length - 1) this.partial = chunk.subarray(lastNl + 1).toString('utf8');
      return;
    }
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > 1024 * 1024) this.partial = '';
    for (const line of lines) this.line(line);
  }

  /** The usage seen so far (call after the stream ended). */
  result(): Usage | null {
    if (this.partial) this.line(this.partial);
    this.partial = '';
    return this.usage;
  }

  private line(line: string): void {
    if (!line.startsWith('data:') || !line.includes('"usage"')) return;
    try {
      this.usage = mergeUsage(this.usage, usageOf(JSON.parse(line.slice(5).trim())));
    } catch {
      /* not JSON ([DONE], a cut line) */
    }
  }
}

/** Bodies up to this size are parsed whole; larger ones only searched at their end. */
const PARSE_LIMIT = 1024 * 1024;

/**
 * Collects a JSON answer as it passes and reads its usage at the end. Keeps the whole body up to
 * 1 MiB; beyond that only the last 64 KiB, searched for the token fields (usage sits at the end of
 * OpenAI and Anthropic answers).
 */
export class JsonUsageCollector {
  private chunks: Buffer[] = [];
  private size = 0;
  private overflow = false;

  /** Feeds one chunk of the body. */
  push(chunk: Buffer): void {
    this.size += chunk.length;
    this.chunks.push(chunk);
    if (this.size > PARSE_LIMIT) {
      this.overflow = true;
      const tail = Buffer.concat(this.chunks).subarray(-64 * 1024);
      this.chunks = [tail];
    }
  }

  /** The usage of the complete body, or `null`. */
  result(): Usage | null {
    const text = Buffer.concat(this.chunks).toString('utf8');
    if (!this.overflow) {
      try {
        return usageOf(JSON.parse(text));
      } catch {
        return null;
      }
    }
    const pick = (re: RegExp) => {
      const m = [...text.matchAll(re)].at(-1);
      return m ? Number(m[1]) : null;
    };
    const tokensIn = pick(/"(?:prompt|input)_tokens"\s*:\s*(\d+)/g);
    const tokensOut = pick(/"(?:completion|output)_tokens"\s*:\s*(\d+)/g);
    return tokensIn === null && tokensOut === null ? null : { tokensIn, tokensOut };
  }
}

/** Bytes of JSON text per token assumed by {@link estimateUsage} (English text is about 4 per token). */
export const BYTES_PER_TOKEN = 4;

/**
 * Usage of an answer that did not complete (the caller dropped it, or LiteLLM went away), so it is
 * charged for what was produced rather than nothing:
 * - in: the tokens reported so far (Anthropic reports them first, in `message_start`), else the
 *   request body's bytes / {@link BYTES_PER_TOKEN} (JSON framing included: an upper bound);
 * - out: the larger of the tokens reported so far and the estimate — one token per streamed `data:`
 *   event (providers stream about one token per event; the last usage and `[DONE]` events are counted
 *   too), or the relayed bytes / {@link BYTES_PER_TOKEN} for a JSON answer; 0 for embeddings (priced
 *   on input only).
 * Never 0 tokens in: a call that reached the provider is never free.
 */
export function estimateUsage(
  seen: Usage | null,
  requestBytes: number,
  answer: { sseEvents: number | null; bytes: number; embeddings: boolean },
): { tokensIn: number; tokensOut: number } {
  const tokensIn = seen?.tokensIn ?? Math.max(1, Math.ceil(requestBytes / BYTES_PER_TOKEN));
  const guess = answer.embeddings
    ? 0
    : answer.sseEvents !== null
      ? answer.sseEvents
      : Math.ceil(answer.bytes / BYTES_PER_TOKEN);
  return { tokensIn, tokensOut: Math.max(seen?.tokensOut ?? 0, guess) };
}
