// Tool calls a small model writes as JSON text in `content` instead of `tool_calls`, recognised when they name a declared tool.

/** A tool call found in the text: the tool's name and its arguments as JSON text. */
export interface TextToolCall {
  name: string;
  arguments: string;
}

/** What {@link parseTextToolCalls} found: the calls and the prose around them (trimmed, '' when none). */
export interface TextToolCalls {
  calls: TextToolCall[];
  rest: string;
}

/**
 * Reads consecutive JSON values from `text` (separated by whitespace, commas or nothing), e.g. two
 * objects on two lines. The text may end inside the last value (a model stopped by its token limit,
 * or one `}` short): missing closing brackets are added, and a last value cut inside a string is
 * dropped when others came before it. `null` when anything else is in between, or a value does not parse.
 */
function jsonSequence(text: string): unknown[] | null {
  const out: unknown[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /[\s,]/.test(text[i]!)) i++;
    if (i >= n) break;
    if (text[i] !== '{' && text[i] !== '[') return null;
    // Find the end of this value: brackets balanced outside strings.
    const open: string[] = [];
    let inString = false;
    let j = i;
    for (; j < n; j++) {
      const c = text[j]!;
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') open.push(c === '{' ? '}' : ']');
      else if (c === '}' || c === ']') {
        if (open.pop() !== c) return null;
        if (open.length === 0) break;
      }
    }
    let value = text.slice(i, j + 1);
    if (j >= n) {
      if (inString) return out.length ? out : null; // cut inside a string: keep what came before
      value = text.slice(i) + open.reverse().join(''); // the text ended inside the value: close it
    }
    try {
      out.push(JSON.parse(value));
    } catch {
      return j >= n && out.length ? out : null;
    }
    i = j + 1;
  }
  return out;
}

/**
 * One call from a parsed object: `{name, arguments}` (OpenAI and Qwen/Hermes), `{name, parameters}`
 * (Llama 3), or `{function: {name, arguments}}` / `{type: "function", function: …}`. Arguments may be
 * an object or a JSON string. `null` when the shape is none of these.
 */
function callOf(value: unknown): TextToolCall | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  let o = value as Record<string, unknown>;
  if (o.function && typeof o.function === 'object' && !Array.isArray(o.function))
    o = o.function as Record<string, unknown>;
  if (typeof o.name !== 'string' || !o.name) return null;
  const keys = Object.keys(o).filter((k) => k !== 'name' && k !== 'type' && k !== 'id');
  if (keys.some((k) => k !== 'arguments' && k !== 'parameters')) return null;
  const args = o.arguments ?? o.parameters ?? {};
  if (typeof args === 'string') return { name: o.name, arguments: args };
  if (typeof args !== 'object' || Array.isArray(args) || args === null) return null;
  return { name: o.name, arguments: JSON.stringify(args) };
}

/** Calls from a block of JSON text: every value must be a call (an array of calls counts too). */
function callsOfJson(text: string): TextToolCall[] | null {
  const values = jsonSequence(text.trim());
  if (!values || values.length === 0) return null;
  const flat = values.flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]));
  const calls = flat.map(callOf);
  return calls.every((c): c is TextToolCall => c !== null) ? calls : null;
}

const TAGGED = /<tool_call>([\s\S]*?)(?:<\/tool_call>|$)/g;
const FENCED = /```[a-zA-Z]*[ \t]*\n?([\s\S]*?)```/g;

/**
 * The tool calls in an assistant's text, when the text is made of them: the whole text is JSON call
 * objects; or it holds `<tool_call>…</tool_call>` blocks (Qwen's and Hermes' format) or ``` fenced blocks
 * that are all calls, with prose around them. Every call must name one of `tools`; otherwise (or when
 * nothing parses) `null`, and the text is the model's answer.
 * @param tools the names of the tools that were offered in this model call.
 */
export function parseTextToolCalls(text: string, tools: readonly string[]): TextToolCalls | null {
  const declared = (calls: TextToolCall[] | null) =>
    calls && calls.length > 0 && calls.every((c) => tools.includes(c.name)) ? calls : null;
  const whole = declared(callsOfJson(text));
  if (whole) return { calls: whole, rest: '' };
  for (const re of [TAGGED, FENCED]) {
    const blocks = [...text.matchAll(re)];
    if (!blocks.length) continue;
    const parsed = blocks.map((b) => declared(callsOfJson(b[1] ?? '')));
    if (parsed.every((p) => p !== null))
      return {
        calls: parsed.flat(),
        rest: text
          .replace(re, '')
          .replace(/\n{3,}/g, '\n\n')
          .trim(),
      };
  }
  return null;
}

/**
 * Whether streamed text that starts like `prefix` may still turn out to be a tool call written as text
 * (so the runtime holds it back instead of showing it): it starts with `{`, `[`, a code fence or a
 * `<tool_call>` tag, or with a piece of one of them.
 */
export function mayBeTextToolCall(prefix: string): boolean {
  const t = prefix.trimStart();
  if (t === '') return true;
  if (t[0] === '{' || t[0] === '[') return true;
  for (const opener of ['```', '<tool_call>']) if (t.startsWith(opener) || opener.startsWith(t)) return true;
  return false;
}
