// Tool events a runtime posts to the gateway (`POST /v1/agentdesk/trace`): zod schemas, output cut, error text.
import { z } from 'zod';

/** Largest `tool_result` output, `error` message or stack kept, in UTF-8 bytes (64 KiB); longer text is cut. */
export const TRACE_TEXT_LIMIT_BYTES = 64 * 1024;
/** Events per request: 1 to this many. */
export const TRACE_MAX_EVENTS = 256;
/** Largest request body of `POST /v1/agentdesk/trace`, bytes (1 MiB). */
export const TRACE_MAX_BODY_BYTES = 1024 * 1024;
/** 2000-01-01 and 2100-01-01 in UTC ms: `created_at` outside is a unit mistake (seconds, µs). */
const EPOCH_MS_MIN = 946_684_800_000;
const EPOCH_MS_MAX = 4_102_444_800_000;

/**
 * `text` cut to at most `limit` UTF-8 bytes on a character boundary.
 * @returns the text kept and the original size in bytes.
 */
export function cutUtf8(text: string, limit = TRACE_TEXT_LIMIT_BYTES): { text: string; size: number } {
  // Fast path: a UTF-16 string of n units is at most 3n UTF-8 bytes.
  if (text.length * 3 <= limit) return { text, size: Buffer.byteLength(text) };
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= limit) return { text, size: buf.length };
  let end = limit;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--; // back to the first byte of a character
  return { text: buf.subarray(0, end).toString('utf8'), size: buf.length };
}

const id = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(200);
const nullableId = (what: string) =>
  z.union([id(what), z.null()], { error: `${what} must be a string or null` });
const toolName = z.string({ error: 'name must be a string' }).min(1, 'name must not be empty').max(256);
/** A longer text is cut, never refused. */
const cutText = (what: string) =>
  z.string({ error: `${what} must be a string` }).transform((s) => cutUtf8(s).text);

/** `tool_call` payload: the tool and its arguments (the model's JSON string, or the parsed object). */
export const ToolCallPayload = z.object({
  name: toolName,
  arguments: z.union([z.string(), z.record(z.string(), z.unknown())], {
    error: 'arguments must be a JSON string or an object',
  }),
  /** The model's tool call id (`call_…`), when the runtime passes it on. */
  call_id: z.string().max(200).optional(),
});

/**
 * `tool_result` payload. `output` is cut at 64 KiB (UTF-8 bytes); `size` keeps the original size in
 * bytes (the runtime's own `size` when it already cut the output, else the size received) and
 * `truncated` says whether anything was cut, by the runtime or here.
 */
export const ToolResultPayload = z
  .object({
    name: toolName,
    output: z.string({ error: 'output must be a string' }),
    exit_code: z.union([z.number().int(), z.null()], { error: 'exit_code must be an integer or null' }),
    size: z.number().int().min(0).optional(),
    truncated: z.boolean().optional(),
    call_id: z.string().max(200).optional(),
  })
  .transform((p) => {
    const cut = cutUtf8(p.output);
    return {
      name: p.name,
      output: cut.text,
      exit_code: p.exit_code,
      size: Math.max(cut.size, p.size ?? 0),
      truncated: p.truncated === true || cut.text.length < p.output.length,
      ...(p.call_id === undefined ? {} : { call_id: p.call_id }),
    };
  });

/** `error` payload: what went wrong in the runtime (message and stack cut at 64 KiB each). */
export const ErrorPayload = z.object({
  message: cutText('message'),
  stack: cutText('stack').optional(),
});

const common = {
  /** Random UUID of the event (de-duplication key of the trace store). */
  id: z.uuid({ error: 'id must be a UUID' }),
  trace_id: id('trace_id'),
  parent_id: nullableId('parent_id'),
  /** UTC ms. */
  created_at: z
    .number({ error: 'created_at must be a number (UTC milliseconds since the epoch)' })
    .int('created_at must be whole milliseconds')
    .min(EPOCH_MS_MIN, 'created_at must be UTC milliseconds since the epoch (not seconds)')
    .max(EPOCH_MS_MAX, 'created_at must be UTC milliseconds since the epoch'),
  thread_id: nullableId('thread_id'),
};

/** One event as posted by a runtime, normalised (unknown fields dropped, long texts cut). */
export const AgentTraceEvent = z.discriminatedUnion(
  'kind',
  [
    z.object({ ...common, kind: z.literal('tool_call'), payload: ToolCallPayload }),
    z.object({ ...common, kind: z.literal('tool_result'), payload: ToolResultPayload }),
    z.object({ ...common, kind: z.literal('error'), payload: ErrorPayload }),
  ],
  { error: 'kind must be one of tool_call, tool_result, error' },
);
export type AgentTraceEvent = z.output<typeof AgentTraceEvent>;

/** The body of `POST /v1/agentdesk/trace`: `{events: [1–256 events]}`. */
export const AgentTraceBatch = z.object(
  {
    events: z
      .array(AgentTraceEvent, { error: 'events must be an array of trace events' })
      .min(1, 'events must hold at least one event')
      .max(TRACE_MAX_EVENTS, `events may hold at most ${TRACE_MAX_EVENTS} events per request`),
  },
  { error: 'the body must be a JSON object {"events": [...]}' },
);
export type AgentTraceBatch = z.output<typeof AgentTraceBatch>;

/** `events[3].payload.name` from a zod issue path. */
function fieldOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

/**
 * One line naming what is wrong in a trace body, e.g.
 * `events[2].payload.name: name must be a string; events[3].kind: kind must be one of …` (≤ 3 issues).
 */
export function describeTraceIssues(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${fieldOf(i.path)}: ${i.message}` : i.message));
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return `Bad trace body: ${shown.join('; ')}${more}.`;
}

/**
 * Parses and normalises a trace body (already JSON-parsed).
 * @returns the events, or a one-line error naming the fields at fault.
 */
export function parseTraceBatch(
  body: unknown,
): { ok: true; events: AgentTraceEvent[] } | { ok: false; error: string } {
  const r = AgentTraceBatch.safeParse(body);
  return r.success ? { ok: true, events: r.data.events } : { ok: false, error: describeTraceIssues(r.error) };
}
