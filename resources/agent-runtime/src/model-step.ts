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
 * model sent no `tool_calls`, and its text is made of calls to declared tools. Only the first call is
 * kept: a small model writing calls as text goes on to write the calls it imagines next, before it
 * has seen any result. Its id is new (`call_text_<uuid>`); the text left is the prose around it.
 */
export function withTextToolCalls(
  answer: ChatAnswer,
  tools: readonly string[],
): ChatAnswer & { fromText: boolean } {
  if (!tools.length || answer.toolCalls.length) return { ...answer, fromText: false };
  const found = parseTextToolCalls(answer.content, tools);
  if (!found) return { ...answer, fromText: false };
  const toolCalls: ToolCall[] = found.calls.slice(0, 1).map((c) => ({
    id: `call_text_${randomUUID()}`,
    type: 'function',
    function: { name: c.name, arguments: c.arguments },
  }));
  return { ...answer, content: found.rest, toolCalls, fromText: true };
}

/**
 * Models (by id) seen writing their tool calls as text in this runtime. Such a model goes on writing
 * the calls it imagines next, one per line, until its token limit: for them each call with tools gets
 * {@link TEXT_CALL_STOP}, so the model server ends the answer after the first call (with its usage
 * counted, unlike a cancelled stream). Models that call tools natively never get it: some APIs refuse
 * `stop` for some models.
 */
export const textCallers = new Set<string>();

/** Ends an answer where a second call written as text would begin (`}` newline `{"name"`). */
export const TEXT_CALL_STOP = ['}\n{"name"'];

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
 * A tool result as the model reads it: its status first, then the output, then what to do next.
 * Small models otherwise take a bare result for text to continue and call the same tool again
 * (measured with Qwen2.5-Coder-0.5B, docs/decisions/012-real-model.md); large ones lose nothing.
 */
export function toolResultForModel(m: { content: string; exit_code?: number; not_run?: boolean }): string {
  if (m.not_run || m.exit_code === undefined) return m.content;
  return m.exit_code === 0
    ? `OK: ${m.content}\n\nDo the next step of the task, or answer the user.`
    : `Failed (exit code ${m.exit_code}): ${m.content}\n\nFix the call, try another way, or answer the user.`;
}

/**
 * The messages as a model API takes them: tool results with their status ({@link toolResultForModel}),
 * the runtime's own fields on stored messages (`exit_code`, `not_run`) left out.
 */
export function toModelMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((m) =>
    m.role === 'tool' ? { role: 'tool', tool_call_id: m.tool_call_id, content: toolResultForModel(m) } : m,
  );
}
