// One streamed chat completion against the gateway: SSE parsing and assembly of streamed tool-call deltas.
import { randomUUID } from 'node:crypto';
import { createParser } from 'eventsource-parser';
import { messageOf } from './log';
import type { ChatMessage, ToolCall } from './threads';

/** What one model call answered. */
export interface ChatAnswer {
  /** The assistant's text ('' when it only called tools). */
  content: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
}

/** A model call failed; the message names the HTTP status and the gateway's own error message. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    /** HTTP status, or `null` when no answer came (network, stream cut). */
    readonly status: number | null,
    /** The text the model streamed before the failure (its raw output so far), '' when none. */
    readonly partial = '',
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** Inputs of {@link streamChat}. */
export interface ChatRequest {
  baseUrl: string;
  apiKey: string;
  model: string;
  messages: ChatMessage[];
  /** The tools offered; empty = none (the request then has no `tools` field). */
  tools: readonly unknown[];
  /** Sampling temperature; `null`/absent = the model's default (not sent). */
  temperature?: number | null;
  /** Most tokens to generate (`max_tokens`); absent = the model's limit. */
  maxTokens?: number;
  /** Stop sequences (`stop`); absent = none. */
  stop?: string[];
  /** Called with each streamed text fragment, in order. */
  onText: (delta: string) => void;
  signal?: AbortSignal;
}

interface Delta {
  content?: string | null;
  tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[];
}

interface Chunk {
  choices?: { delta?: Delta; message?: Delta; finish_reason?: string | null }[];
  error?: { message?: string };
}

/**
 * The error message of a non-2xx answer: `error.message` of an OpenAI-style body (the gateway's own
 * errors use that shape), else the start of the body text.
 */
export async function errorMessageOf(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (typeof m === 'string' && m) return m;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.trim().slice(0, 500) || res.statusText || 'no error message';
}

/** Most characters one event of the model's stream may hold (its data, and the line still being read): 8 Mi. */
export const STREAM_EVENT_MAX_CHARS = 8 * 1024 * 1024;

/**
 * Parses `text/event-stream` into the `data` payload of each event (eventsource-parser,
 * https://html.spec.whatwg.org/#event-stream-interpretation); an event the stream ends without its
 * blank line is still given. Holds at most `maxChars` characters of one event.
 * @throws Error (`it sent an event of more than 8 Mi characters`) when an event passes `maxChars` (default
 *   {@link STREAM_EVENT_MAX_CHARS}); {@link streamChat} reports it as the stream having broken.
 */
export async function* sseData(
  body: ReadableStream<Uint8Array>,
  maxChars = STREAM_EVENT_MAX_CHARS,
): AsyncGenerator<string> {
  const tooBig = () => new Error(`it sent an event of more than ${maxChars / 1024 / 1024} Mi characters`);
  const ready: string[] = [];
  const parser = createParser({
    maxBufferSize: maxChars,
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded') throw tooBig();
    },
    onEvent: (e) => {
      if (e.data.length > maxChars) throw tooBig();
      ready.push(e.data);
    },
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    parser.feed(done ? decoder.decode() + '\n\n' : decoder.decode(value, { stream: true }));
    yield* ready.splice(0);
    if (done) return;
  }
}

/** Accumulates streamed deltas into the assistant's text and complete tool calls (keyed by `index`). */
class Assembler {
  content = '';
  finishReason: string | null = null;
  private readonly calls = new Map<number, { id: string; name: string; args: string }>();

  add(chunk: Chunk, onText: (d: string) => void): void {
    if (chunk.error)
      throw new UpstreamError(
        `the model's stream reported an error: ${chunk.error.message ?? 'unknown'}`,
        null,
        this.content,
      );
    for (const choice of chunk.choices ?? []) {
      const delta = choice.delta ?? choice.message ?? {};
      if (typeof delta.content === 'string' && delta.content) {
        this.content += delta.content;
        onText(delta.content);
      }
      for (const [i, tc] of (delta.tool_calls ?? []).entries()) {
        const index = tc.index ?? i;
        const call = this.calls.get(index) ?? { id: '', name: '', args: '' };
        if (tc.id) call.id = tc.id;
        const name = tc.function?.name;
        if (name && call.name !== name) call.name += name;
        if (tc.function?.arguments) call.args += tc.function.arguments;
        this.calls.set(index, call);
      }
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
    }
  }

  answer(): ChatAnswer {
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c]): ToolCall => ({
        id: c.id || `call_${randomUUID()}`,
        type: 'function',
        function: { name: c.name, arguments: c.args },
      }));
    return { content: this.content, toolCalls, finishReason: this.finishReason };
  }
}

/**
 * `POST {baseUrl}/chat/completions` with `stream: true`, `Authorization: Bearer <apiKey>` and the tools;
 * streams text through `onText` and returns the assembled answer. Accepts a plain JSON completion too
 * (a server that ignores `stream`).
 * @throws UpstreamError for a non-2xx answer (`HTTP <status> from the gateway: <gateway message>`), an
 *   unreachable gateway, an error inside the stream, or a stream that ends before the answer does.
 *   An abort through `signal` rejects with the AbortError.
 */
export async function streamChat(req: ChatRequest): Promise<ChatAnswer> {
  const url = `${req.baseUrl}/chat/completions`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'text/event-stream',
        Authorization: `Bearer ${req.apiKey}`,
      },
      body: JSON.stringify({
        model: req.model,
        messages: req.messages,
        ...(req.tools.length ? { tools: req.tools } : {}),
        ...(req.temperature === null || req.temperature === undefined
          ? {}
          : { temperature: req.temperature }),
        ...(req.maxTokens ? { max_tokens: req.maxTokens } : {}),
        ...(req.stop?.length ? { stop: req.stop } : {}),
        stream: true,
        stream_options: { include_usage: true },
      }),
      signal: req.signal,
    });
  } catch (err) {
    if (req.signal?.aborted) throw err;
    throw new UpstreamError(`cannot reach the gateway at ${url}: ${messageOf(err)}`, null);
  }
  if (!res.ok)
    throw new UpstreamError(
      // The gateway's message says what failed (the provider's server by name); its own address is an
      // internal bridge address that means nothing to the person reading the chat.
      `model call failed: HTTP ${res.status} from the gateway: ${await errorMessageOf(res)}`,
      res.status,
    );
  const asm = new Assembler();
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    asm.add((await res.json()) as Chunk, req.onText);
    return asm.answer();
  }
  if (!res.body) throw new UpstreamError(`model call to ${url} answered without a body`, res.status);
  let sawDone = false;
  try {
    for await (const data of sseData(res.body)) {
      if (data.trim() === '[DONE]') {
        sawDone = true;
        break;
      }
      let chunk: Chunk;
      try {
        chunk = JSON.parse(data) as Chunk;
      } catch {
        throw new UpstreamError(
          `the model's stream sent a chunk that is not JSON: ${data.slice(0, 200)}`,
          null,
          asm.content,
        );
      }
      asm.add(chunk, req.onText);
    }
  } catch (err) {
    if (err instanceof UpstreamError || req.signal?.aborted) throw err;
    throw new UpstreamError(`the model's stream from ${url} broke: ${messageOf(err)}`, null, asm.content);
  }
  if (!sawDone && !asm.finishReason)
    throw new UpstreamError(
      `the model's stream from ${url} ended before the answer was complete`,
      null,
      asm.content,
    );
  return asm.answer();
}
