// Trace events, envelope v1: the envelope, one payload schema per kind, and the query.
import { z } from 'zod';
import { EgressPayload } from './egress';

/** Largest `tool_result` output kept in a trace event, in UTF-8 bytes (64 KiB); `size` keeps the original. */
export const TRACE_OUTPUT_LIMIT_BYTES = 64 * 1024;

const encoder = new TextEncoder();
/** Whether `s` is at most the output limit in UTF-8 (works in Node and in the renderer; n UTF-16 units ≤ 3n bytes). */
const fitsOutputLimit = (s: string): boolean =>
  s.length * 3 <= TRACE_OUTPUT_LIMIT_BYTES || encoder.encode(s).length <= TRACE_OUTPUT_LIMIT_BYTES;

/** Every kind of trace event, in the order a turn usually produces them. */
export const TraceKind = z.enum([
  'message_in',
  'llm_call',
  'reasoning',
  'tool_call',
  'tool_result',
  'message_out',
  'error',
  'lifecycle',
  'egress',
]);
export type TraceKind = z.infer<typeof TraceKind>;

/** `message_in`: a message sent to the agent. `from` = who sent it (`user` for the chat pane and the CLI). */
export const MessageInPayload = z.object({ from: z.string().min(1).max(200), text: z.string() });

/** `message_out`: the agent's final reply of a turn. */
export const MessageOutPayload = z.object({ text: z.string() });

/**
 * `llm_call`: one request through the gateway (one model call of a turn). Request summary: `path`,
 * `stream`; response summary: `status` (HTTP, 499 = the caller went away), `ttft_ms` (streams: time to
 * the first byte from LiteLLM); `finish_reason` when known; `requested_model` when LiteLLM answered with
 * another model than the one asked for; `usage_estimated` when the answer did not complete. `turn_match` = `time` when the event was
 * tied to a turn because its start fell inside exactly one turn of the agent relayed by the core (the
 * gateway does not know the turn id of a model call). `purpose` = `verify` for the calls of the deploy's
 * verify step (made while the agent was `verifying`): they are not counted among the day's model calls.
 */
export const LlmCallPayload = z.object({
  path: z.string(),
  stream: z.boolean(),
  status: z.number().int(),
  ttft_ms: z.number().int().nullable(),
  finish_reason: z.string().nullable().optional(),
  turn_match: z.literal('time').optional(),
  /** The model asked for, when another one answered (the event's `model` is the one that answered). */
  requested_model: z.string().optional(),
  /** True when the tokens (and the cost from them) are an estimate: the answer did not complete. */
  usage_estimated: z.boolean().optional(),
  /** `verify`: made by the deploy's verify step; not counted among the day's model calls. */
  purpose: z.literal('verify').optional(),
});

/** `tool_call`: the tool and its arguments (the model's JSON text, or an object); `call_id` = the model's call id. */
export const ToolCallPayload = z.object({
  name: z.string().min(1),
  arguments: z.union([z.string(), z.record(z.string(), z.unknown())]),
  call_id: z.string().optional(),
});

/**
 * `tool_result`: the tool's output, cut at {@link TRACE_OUTPUT_LIMIT_BYTES} (UTF-8); `size` = the original
 * size in bytes, `truncated` = whether anything was cut; `exit_code` = the command's status (0/1 for file
 * tools), `null` when unknown.
 */
export const ToolResultPayload = z.object({
  name: z.string().min(1),
  output: z.string().refine(fitsOutputLimit, {
    message: `output must be at most ${TRACE_OUTPUT_LIMIT_BYTES} bytes (cut it and keep the original size)`,
  }),
  exit_code: z.number().int().nullable(),
  size: z.number().int().min(0),
  truncated: z.boolean(),
  call_id: z.string().optional(),
});

/** `reasoning`: the model's reasoning text, when a harness reports it. */
export const ReasoningPayload = z.object({ text: z.string() });

/** `error`: what went wrong (the envelope's `error` holds the same one-line message). */
export const ErrorPayload = z.object({ message: z.string(), stack: z.string().optional() });

/** `lifecycle`: a phase transition of the agent (`from_phase` is `null` for the first one). */
export const LifecyclePayload = z.object({
  from_phase: z.string().nullable(),
  to_phase: z.string(),
  reason: z.string().nullable(),
});

/** Payload schema of each kind. */
export const TRACE_PAYLOADS = {
  message_in: MessageInPayload,
  message_out: MessageOutPayload,
  llm_call: LlmCallPayload,
  tool_call: ToolCallPayload,
  tool_result: ToolResultPayload,
  reasoning: ReasoningPayload,
  error: ErrorPayload,
  lifecycle: LifecyclePayload,
  egress: EgressPayload,
} as const;

/** UTC ms between 2000-01-01 and 2100-01-01: anything else is a unit mistake (seconds, µs). */
const UtcMs = z
  .number()
  .int('must be whole milliseconds')
  .min(946_684_800_000, 'must be UTC milliseconds since the epoch (not seconds)')
  .max(4_102_444_800_000, 'must be UTC milliseconds since the epoch');

const nullableCount = z.number().int().min(0).nullable();

/**
 * The envelope v1 fields every event has. `trace_id` ties the events of one turn together (= the turn
 * id the runtime reports), `null` for events outside a turn (lifecycle, untied model calls);
 * `parent_id` = the event this one answers (a `tool_result`'s `tool_call`, a `message_out`'s
 * `message_in`). `channel_id` = where a message came from (`chat`), `null` otherwise.
 */
const envelope = {
  v: z.literal(1),
  /** Unique id (UUID): reads de-duplicate by it. */
  id: z.string().min(1).max(200),
  trace_id: z.string().min(1).max(200).nullable(),
  parent_id: z.string().min(1).max(200).nullable(),
  /** UTC ms when it happened; chooses the hour file. */
  created_at: UtcMs,
  agent_id: z.string().min(1).max(200),
  channel_id: z.string().max(200).nullable(),
  thread_id: z.string().max(200).nullable(),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  duration_ms: z.number().int().min(0).nullable(),
  tokens_in: nullableCount,
  tokens_out: nullableCount,
  /** USD, `null` when unknown. */
  cost_usd: z.number().min(0).nullable(),
  /** One line on what failed, `null` on success. */
  error: z.string().nullable(),
};

/** One trace event: the envelope v1 with the payload of its kind. */
export const TraceEvent = z.discriminatedUnion('kind', [
  z.object({ ...envelope, kind: z.literal('message_in'), payload: MessageInPayload }),
  z.object({ ...envelope, kind: z.literal('message_out'), payload: MessageOutPayload }),
  z.object({ ...envelope, kind: z.literal('llm_call'), payload: LlmCallPayload }),
  z.object({ ...envelope, kind: z.literal('tool_call'), payload: ToolCallPayload }),
  z.object({ ...envelope, kind: z.literal('tool_result'), payload: ToolResultPayload }),
  z.object({ ...envelope, kind: z.literal('reasoning'), payload: ReasoningPayload }),
  z.object({ ...envelope, kind: z.literal('error'), payload: ErrorPayload }),
  z.object({ ...envelope, kind: z.literal('lifecycle'), payload: LifecyclePayload }),
  z.object({ ...envelope, kind: z.literal('egress'), payload: EgressPayload }),
]);
export type TraceEvent = z.output<typeof TraceEvent>;
/** A trace event of one kind. */
export type TraceEventOf<K extends TraceKind> = Extract<TraceEvent, { kind: K }>;

/** The envelope fields of a trace event (all but `kind` and `payload`). */
export type TraceEnvelope = Omit<TraceEvent, 'kind' | 'payload'>;

/**
 * Builds one trace event of `kind`: the envelope v1 with every field the caller does not give set to its
 * neutral value (`null`; `id` a new UUID; `created_at` now, UTC ms). The one way production code, benches
 * and tests make trace events, so a new envelope field is added in one place.
 * @param fields `agent_id` and `payload` are required; any other envelope field may be given.
 */
export function traceEvent<K extends TraceKind>(
  kind: K,
  fields: { agent_id: string; payload: TraceEventOf<K>['payload'] } & Partial<TraceEnvelope>,
): TraceEventOf<K> {
  return {
    v: 1,
    id: fields.id ?? globalThis.crypto.randomUUID(),
    trace_id: fields.trace_id ?? null,
    parent_id: fields.parent_id ?? null,
    created_at: fields.created_at ?? Date.now(),
    agent_id: fields.agent_id,
    channel_id: fields.channel_id ?? null,
    thread_id: fields.thread_id ?? null,
    provider: fields.provider ?? null,
    model: fields.model ?? null,
    duration_ms: fields.duration_ms ?? null,
    tokens_in: fields.tokens_in ?? null,
    tokens_out: fields.tokens_out ?? null,
    cost_usd: fields.cost_usd ?? null,
    error: fields.error ?? null,
    kind,
    payload: fields.payload,
  } as TraceEventOf<K>;
}

/** Largest page of `traces.list`. */
export const TRACE_PAGE_MAX = 1000;

/**
 * Input of `traces.list`. Without `agent_id`, every live agent's events are merged. `since`/`until` are
 * UTC ms (inclusive / exclusive); `text` = a substring of the payload's JSON text. `order` = `asc` (oldest first, the default) or `desc` (newest first);
 * `cursor` = the `next_cursor` of the previous page (same filters and order).
 */
export const TraceQuery = z
  .object({
    agent_id: z.string().uuid('must be an agent id (a UUID, see `agents.list`)').optional(),
    since: UtcMs.optional(),
    until: UtcMs.optional(),
    kinds: z.array(TraceKind).min(1).optional(),
    thread_id: z.string().min(1).max(200).optional(),
    trace_id: z.string().min(1).max(200).optional(),
    /** Text to find in the payload (messages, tool names, arguments and outputs, errors): case-insensitive for ASCII letters. */
    text: z.string().min(1).max(500).optional(),
    order: z.enum(['asc', 'desc']).default('asc'),
    limit: z.number().int().min(1).max(TRACE_PAGE_MAX).default(200),
    cursor: z.string().min(1).max(1000).optional(),
  })
  .strict();
export type TraceQueryInput = z.input<typeof TraceQuery>;
export type TraceQuery = z.output<typeof TraceQuery>;

/** Output of `traces.list`: one page, ordered by `created_at` (then id); `next_cursor` = `null` on the last page. */
export const TracePage = z.object({ events: z.array(TraceEvent), next_cursor: z.string().nullable() });
export type TracePage = z.output<typeof TracePage>;

/** A UTC calendar day, `YYYY-MM-DD` (e.g. `2024-05-01`). */
export const UtcDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a UTC day written YYYY-MM-DD, e.g. 2024-05-01')
  .refine((s) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return true; // the pattern's own message says it
    const t = Date.parse(`${s}T00:00:00.000Z`);
    return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s;
  }, 'is not a calendar day (month 01–12, day within the month)');

/** Most agents one `traces.totals` call may name. */
export const TRACE_TOTALS_AGENTS_MAX = 1000;

/**
 * Input of `traces.totals`. `agent_ids` = the agents to total (each gets an entry, zeros when it made no
 * call); without it, every live (not archived) agent. `day` = the UTC day (`YYYY-MM-DD`), today (UTC)
 * when absent.
 */
export const TraceTotalsQuery = z
  .object({
    agent_ids: z
      .array(z.string().uuid('must be an agent id (a UUID, see `agents.list`)'))
      .max(TRACE_TOTALS_AGENTS_MAX)
      .optional(),
    day: UtcDay.optional(),
  })
  .strict();
export type TraceTotalsQueryInput = z.input<typeof TraceTotalsQuery>;
export type TraceTotalsQuery = z.output<typeof TraceTotalsQuery>;

/**
 * One agent's model use over one UTC day, summed over its `llm_call` events (each counted once, by id):
 * `tokens_in`/`tokens_out` (an unknown count adds 0), `cost_usd` = the sum of the known costs, `null`
 * when no call had a price (LiteLLM's cost map has none for the model); `calls` = model calls,
 * `errors` = the calls that failed (`error` set).
 */
export const AgentDayTotals = z.object({
  agent_id: z.string().min(1).max(200),
  tokens_in: z.number().int().min(0),
  tokens_out: z.number().int().min(0),
  cost_usd: z.number().min(0).nullable(),
  calls: z.number().int().min(0),
  errors: z.number().int().min(0),
});
export type AgentDayTotals = z.output<typeof AgentDayTotals>;

/** Output of `traces.totals`: the day totalled and one entry per agent, in the order asked (or `agents.list`'s). */
export const TraceTotals = z.object({ day: UtcDay, totals: z.array(AgentDayTotals) });
export type TraceTotals = z.output<typeof TraceTotals>;
