// One model call of a turn as small models need it: text held back while it may be a tool call, tool calls read from text, malformed calls named.
import { randomUUID } from 'node:crypto';
import type { ChatAnswer } from './llm';
import { UpstreamError } from './llm';
import { mayBeTextToolCall, parseTextToolCalls } from './text-tool-call';
import type { ChatMessage, ToolCall } from './threads';

/**
 * Passes streamed text on, except while it may still turn out to be a tool call written as text
 * ({@link mayBeTextToolCall}): that part is held until it is clearly prose (then released) or the
 * answer ends ({@link finish}). Inactive (everything passes) when no tools were offered.
 */
export class TextGate {
  private held = '';
  private open: boolean;

  constructor(
    private readonly emit: (delta: string) => void,
    active: boolean,
  ) {
    this.open = !active;
  }

  push(delta: string): void {
    if (this.open) return this.emit(delta);
    this.held += delta;
    if (mayBeTextToolCall(this.held)) return;
    this.open = true;
    const text = this.held;
    this.held = '';
    this.emit(text);
  }

  /** The answer ended: text still held is shown, or `replacement` instead (the prose around tool calls). */
  finish(replacement: string | null = null): void {
    if (this.open) return;
    this.open = true;
    const text = replacement ?? this.held;
    this.held = '';
    if (text) this.emit(text);
  }
}

/**
 * The answer with tool calls written as text turned into real ones, when tools were offered, the
 * model sent no `tool_calls`, and its text is made of calls to declared tools. Their ids are new
 * (`call_text_<uuid>`); the text left is the prose around them.
 */
export function withTextToolCalls(
  answer: ChatAnswer,
  tools: readonly string[],
): ChatAnswer & { fromText: boolean } {
  if (!tools.length || answer.toolCalls.length) return { ...answer, fromText: false };
  const found = parseTextToolCalls(answer.content, tools);
  if (!found) return { ...answer, fromText: false };
  const toolCalls: ToolCall[] = found.calls.map((c) => ({
    id: `call_text_${randomUUID()}`,
    type: 'function',
    function: { name: c.name, arguments: c.arguments },
  }));
  return { ...answer, content: found.rest, toolCalls, fromText: true };
}

/**
 * True when a model call failed because the model server could not read the tool call the model
 * wrote: llama.cpp's server answers HTTP 500 "… does not match the expected … format" (its tool-call
 * parser), which LiteLLM passes on as an error (a 5xx, or an `error` event inside the stream).
 */
export function isMalformedToolCall(err: unknown): boolean {
  if (!(err instanceof UpstreamError)) return false;
  if (err.status !== null && err.status < 500) return false;
  return /does not match the expected|failed to parse (the )?tool call|could not parse (the )?tool call|invalid tool call|malformed tool call|tool call .*(parse|pars(ing|er)) (error|failed)/i.test(
    err.message,
  );
}

/** `text` on one line, cut to `max` characters (with … when cut). */
export function oneLine(text: string, max = 300): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** What the user reads when the model wrote a tool call the server could not read. */
export function malformedMessage(raw: string, retried: boolean): string {
  const output = raw.trim()
    ? `The model's output was: ${raw.trim().slice(0, 2000)}`
    : 'The model server did not pass on what the model wrote.';
  return retried
    ? `The model produced a malformed tool call (the model server could not read it), so it was asked again without tools. ${output}`
    : `The model produced a malformed tool call (the model server could not read it), twice. Send the message again, or choose a model with tool support. ${output}`;
}

/**
 * The messages as a model API takes them: the runtime's own fields on stored messages (`exit_code`,
 * `not_run` on tool results) are left out.
 */
export function toModelMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((m) =>
    m.role === 'tool' ? { role: 'tool', tool_call_id: m.tool_call_id, content: m.content } : m,
  );
}
