// Pure views of trace events: merging pages and live events, the filters, labels and one-line summaries per kind.
import type { TraceEvent, TraceEventOf, TraceKind } from '../../../../contract/traces';
import type { TraceFilters } from './initial-state';
import { TRACE_EVENTS_KEPT } from './initial-state';

/** Orders by created_at, then id (the order of `traces.list`). */
export function compareEvents(a: TraceEvent, b: TraceEvent): number {
  return a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Index of the first event of `sorted` not before `e` (binary search). */
function lowerBound(sorted: readonly TraceEvent[], e: TraceEvent): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareEvents(sorted[mid]!, e) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the event with `e`'s id among those with `e`'s created_at, or -1. */
function indexOfSame(sorted: readonly TraceEvent[], e: TraceEvent): number {
  const probe = { ...e, id: '' } as TraceEvent;
  for (let i = lowerBound(sorted, probe); i < sorted.length && sorted[i]!.created_at === e.created_at; i++)
    if (sorted[i]!.id === e.id) return i;
  return -1;
}

/**
 * `current` (sorted) and `incoming` merged: unique by id (an incoming copy replaces the old one), oldest
 * first, the newest {@link TRACE_EVENTS_KEPT} kept. A few live events are inserted by binary search
 * (O(log n) each plus one array copy), so following a 100,000-event trace stays cheap.
 */
export function mergeEvents(current: readonly TraceEvent[], incoming: readonly TraceEvent[]): TraceEvent[] {
  let all: TraceEvent[];
  if (incoming.length <= 16) {
    all = current.slice();
    for (const e of incoming) {
      const same = indexOfSame(all, e);
      if (same >= 0) all[same] = e;
      else all.splice(lowerBound(all, e), 0, e);
    }
  } else {
    const byId = new Map<string, TraceEvent>();
    for (const e of current) byId.set(e.id, e);
    for (const e of incoming) byId.set(e.id, e);
    all = [...byId.values()].sort(compareEvents);
  }
  return all.length > TRACE_EVENTS_KEPT ? all.slice(all.length - TRACE_EVENTS_KEPT) : all;
}

/** Whether a live event belongs in a view of `agentId` (null = all) and `kinds` (empty = all). */
export function eventMatches(e: TraceEvent, agentId: string | null, kinds: readonly TraceKind[]): boolean {
  return (agentId === null || e.agent_id === agentId) && (kinds.length === 0 || kinds.includes(e.kind));
}

/** Whether `e` passes every filter of the view (`sinceMs` = the lower time bound, UTC ms, or null). */
export function passesFilters(
  e: TraceEvent,
  view: TraceFilters & { agentId: string | null; sinceMs: number | null },
): boolean {
  if (!eventMatches(e, view.agentId, view.kinds)) return false;
  if (view.sinceMs !== null && e.created_at < view.sinceMs) return false;
  if (view.threadId !== null && e.thread_id !== view.threadId) return false;
  const text = view.text.trim();
  return text === '' || searchTextOf(e).includes(JSON.stringify(text).slice(1, -1).toLowerCase());
}

const searchCache = new WeakMap<TraceEvent, string>();
/**
 * The lower-cased payload JSON the text filter searches (cached per event): the same text as the
 * core's `traces.list` `text` filter (the needle matched JSON-escaped), so a live event is kept
 * exactly when a reload would return it.
 */
export function searchTextOf(e: TraceEvent): string {
  let s = searchCache.get(e);
  if (s === undefined) {
    s = JSON.stringify(e.payload).toLowerCase();
    searchCache.set(e, s);
  }
  return s;
}

/** The events of `events` that pass the view's filters (the same array when no client-side filter applies). */
export function filterEvents(
  events: readonly TraceEvent[],
  view: TraceFilters & { agentId: string | null; sinceMs: number | null },
): readonly TraceEvent[] {
  return events.filter((e) => passesFilters(e, view));
}

/** The thread ids seen in `events`, in order of first appearance (for the thread filter). */
export function threadsOf(events: readonly TraceEvent[]): string[] {
  const seen = new Set<string>();
  for (const e of events) if (e.thread_id) seen.add(e.thread_id);
  return [...seen];
}

/** `text` on one line, cut at `max` characters. */
export function oneLine(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Human label of each kind. */
export const KIND_LABELS: Record<TraceKind, string> = {
  message_in: 'Message in',
  message_out: 'Message out',
  llm_call: 'Model call',
  tool_call: 'Tool call',
  tool_result: 'Tool result',
  reasoning: 'Reasoning',
  error: 'Error',
  lifecycle: 'Lifecycle',
  egress: 'Egress refused',
};

/**
 * Output tokens per second of a model call: over the time after the first token when the call streamed
 * and that time is known, else over the whole call; `null` when there are no output tokens or no time.
 */
export function tokensPerSecond(e: TraceEventOf<'llm_call'>): number | null {
  if (!e.tokens_out || e.duration_ms === null) return null;
  const ttft = e.payload.ttft_ms;
  const ms = e.payload.stream && ttft !== null && ttft < e.duration_ms ? e.duration_ms - ttft : e.duration_ms;
  return ms > 0 ? (e.tokens_out * 1000) / ms : null;
}

/**
 * A one-line summary of an event for the timeline row and the CLI. `localProviders`: the ids of providers
 * that are servers on this machine (catalog kind `local`): a call of theirs without a price costs "$0 (local)".
 */
export function summaryOf(e: TraceEvent, localProviders?: ReadonlySet<string>): string {
  switch (e.kind) {
    case 'message_in':
    case 'message_out':
    case 'reasoning':
      return oneLine(e.payload.text, 120);
    case 'llm_call': {
      const parts = [e.model ?? e.payload.path, `HTTP ${e.payload.status}`];
      if (e.tokens_in !== null || e.tokens_out !== null)
        parts.push(`${e.tokens_in ?? 0} in · ${e.tokens_out ?? 0} out`);
      if (e.cost_usd !== null) parts.push(formatUsd(e.cost_usd));
      else if (e.provider !== null && localProviders?.has(e.provider)) parts.push('$0 (local)');
      if (e.duration_ms !== null) parts.push(`${e.duration_ms} ms`);
      if (e.payload.ttft_ms !== null) parts.push(`first token ${e.payload.ttft_ms} ms`);
      const tps = tokensPerSecond(e);
      if (tps !== null) parts.push(`${tps >= 100 ? Math.round(tps) : tps.toFixed(1)} tok/s`);
      return parts.join(' · ');
    }
    case 'tool_call':
      return `${e.payload.name} ${oneLine(typeof e.payload.arguments === 'string' ? e.payload.arguments : JSON.stringify(e.payload.arguments), 100)}`;
    case 'tool_result':
      return `${e.payload.name} → exit ${e.payload.exit_code ?? '?'} · ${oneLine(e.payload.output, 80) || '(no output)'}`;
    case 'error':
      return oneLine(e.payload.message, 140);
    case 'lifecycle':
      return `${e.payload.from_phase ?? '—'} → ${e.payload.to_phase}${e.payload.reason ? ` (${oneLine(e.payload.reason, 80)})` : ''}`;
    case 'egress':
      return `${oneLine(e.error ?? 'refused', 140)}${e.payload.count > 1 ? ` ×${e.payload.count}` : ''}`;
  }
}

/** USD with enough digits for sub-cent model calls. */
export function formatUsd(usd: number): string {
  return usd >= 0.01 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(6).replace(/0+$/, '').replace(/\.$/, '.0')}`;
}

/** The events as JSONL (one envelope per line, trailing newline), as `agentdesk trace --json` prints them. */
export function toJsonl(events: readonly TraceEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');
}
