// Errors reported inside a 200 event stream (LiteLLM's `data: {"error": …}`), with the model's text streamed before them.

/** Bytes of the stream's end kept to recover the model's text when an error arrives (16 KiB). */
const TAIL_BYTES = 16 * 1024;

/**
 * Watches an OpenAI-style Server-Sent Events stream as it passes (never holding it back) for an
 * `error` event: LiteLLM answers 200 and starts streaming before the provider fails, then sends
 * `data: {"error": {"message": …}}` (e.g. llama.cpp's server refusing a tool call it cannot parse).
 * Chunks without `"error"` cost one byte search; the last 16 KiB are kept so the text the model
 * streamed before the error can be shown with it.
 */
export class SseErrorScanner {
  private tail: Buffer = Buffer.alloc(0);
  private sawError = false;

  /** Feeds one chunk of the stream. */
  push(chunk: Buffer): void {
    this.tail =
      this.tail.length + chunk.length <= TAIL_BYTES
        ? Buffer.concat([this.tail, chunk])
        : Buffer.concat([this.tail, chunk]).subarray(-TAIL_BYTES);
    // Searched in the new bytes and the 8 before them: `"error"` may be split between two chunks.
    if (!this.sawError)
      this.sawError = this.tail.indexOf('"error"', Math.max(0, this.tail.length - chunk.length - 8)) !== -1;
  }

  /**
   * The error the stream reported (call after it ended), one line with the model's text before it
   * (`<message> — the model's output before the error: <text>`), or `null` when there was none.
   */
  result(): string | null {
    if (!this.sawError) return null;
    const text = this.tail.toString('utf8');
    const error = errorOf(text);
    if (error === null) return null;
    const output = contentOf(text).trim();
    const shown = output.length > 2000 ? `${output.slice(0, 1999)}…` : output;
    return shown ? `${error} — the model's output before the error: ${shown}` : error;
  }
}

/** The `data:` payloads of complete lines of an SSE text, parsed (lines that are not JSON skipped). */
function dataObjects(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    try {
      const v = JSON.parse(line.slice(5).trim()) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      /* [DONE], or a line cut at the start of the kept tail */
    }
  }
  return out;
}

/** The first `error` event's message (≤ 1000 characters), or `null`. */
function errorOf(text: string): string | null {
  for (const o of dataObjects(text)) {
    const e = o.error;
    if (!e) continue;
    const m = typeof e === 'string' ? e : (e as { message?: unknown }).message;
    const msg = typeof m === 'string' && m ? m : JSON.stringify(e);
    return msg.replace(/\s+/g, ' ').trim().slice(0, 1000);
  }
  return null;
}

/** The assistant text streamed in `choices[].delta.content` of the events in `text`. */
function contentOf(text: string): string {
  let out = '';
  for (const o of dataObjects(text))
    for (const c of (o.choices as { delta?: { content?: unknown } }[] | undefined) ?? [])
      if (typeof c?.delta?.content === 'string') out += c.delta.content;
  return out;
}
