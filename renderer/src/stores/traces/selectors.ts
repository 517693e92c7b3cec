// Pure views of trace events: merging pages and live events, grouping by turn, labels and summaries per kind.
import type { TraceEvent, TraceKind } from '../../../../contract/traces';
import { TRACE_EVENTS_KEPT } from './initial-state';

/** Orders by created_at, then id (the order of `traces.list`). */
export function compareEvents(a: TraceEvent, b: TraceEvent): number {
  return a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** `current` and `incoming` merged: unique by id, oldest first, the newest {@link TRACE_EVENTS_KEPT} kept. */
export function mergeEvents(current: readonly TraceEvent[], incoming: readonly TraceEvent[]): TraceEvent[] {
  const byId = new Map<string, TraceEvent>();
  for (const e of current) byId.set(e.id, e);
  for (const e of incoming) byId.set(e.id, e);
  const all = [...byId.values()].sort(compareEvents);
  return all.length > TRACE_EVENTS_KEPT ? all.slice(all.length - TRACE_EVENTS_KEPT) : all;
}

/** Whether a live event belongs in a pane showing `agentId` (null = all) and `kinds` (empty = all). */
export function eventMatches(e: TraceEvent, agentId: string | null, kinds: readonly TraceKind[]): boolean {
  return (agentId === null || e.agent_id === agentId) && (kinds.length === 0 || kinds.includes(e.kind));
}

/** One turn (events sharing a trace_id), or one event outside any turn. */
export interface TraceGroup {
  key: string;
  trace_id: string | null;
  agent_id: string;
  events: TraceEvent[];
  /** What the group is about: the message sent, or the event's own label. */
  title: string;
  started_at: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
  /** The turn's duration (its message_out/error), `null` while unknown. */
  duration_ms: number | null;
  errors: number;
}

/** Groups events by trace_id in order of each group's first event; events without one stand alone. */
export function groupByTrace(events: readonly TraceEvent[]): TraceGroup[] {
  const groups: TraceGroup[] = [];
  const byTrace = new Map<string, TraceGroup>();
  for (const e of events) {
    const key = e.trace_id ? `${e.agent_id}:${e.trace_id}` : `event:${e.id}`;
    let g = byTrace.get(key);
    if (!g) {
      g = {
        key,
        trace_id: e.trace_id,
        agent_id: e.agent_id,
        events: [],
        title: '',
        started_at: e.created_at,
        tokens_in: 0,
        tokens_out: 0,
        cost_usd: 0,
        duration_ms: null,
        errors: 0,
      };
      byTrace.set(key, g);
      groups.push(g);
    }
    g.events.push(e);
    g.tokens_in += e.tokens_in ?? 0;
    g.tokens_out += e.tokens_out ?? 0;
    g.cost_usd += e.cost_usd ?? 0;
    if (e.kind === 'error' || e.error) g.errors += 1;
    if ((e.kind === 'message_out' || e.kind === 'error') && e.duration_ms !== null)
      g.duration_ms = e.duration_ms;
  }
  for (const g of groups) {
    const first = g.events.find((e) => e.kind === 'message_in');
    g.title = first?.kind === 'message_in' ? oneLine(first.payload.text, 80) : summaryOf(g.events[0]!);
  }
  return groups;
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
};

/** A one-line summary of an event for the timeline row. */
export function summaryOf(e: TraceEvent): string {
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
      if (e.duration_ms !== null) parts.push(`${e.duration_ms} ms`);
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
  }
}

/** USD with enough digits for sub-cent model calls. */
export function formatUsd(usd: number): string {
  return usd >= 0.01 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(6).replace(/0+$/, '').replace(/\.$/, '.0')}`;
}
