// Grouping trace events by turn (trace_id) and nesting them by parent_id, for the timeline.
import type { TraceEvent } from '../../../../contract/traces';
import { oneLine, summaryOf } from './selectors';

/** One event in its turn: `depth` 0 = a root of the turn, 1 = answers a root (a tool_result under its tool_call), … */
export interface TimelineEvent {
  event: TraceEvent;
  depth: number;
}

/** One turn (events sharing agent and trace_id), or one event outside any turn. */
export interface TraceGroup {
  key: string;
  trace_id: string | null;
  agent_id: string;
  /** The turn's events in tree order: each parent followed by what answers it, siblings by time. */
  events: TraceEvent[];
  rows: TimelineEvent[];
  /** What the group is about: the message sent, or the event's own summary. */
  title: string;
  started_at: number;
  tokens_in: number;
  tokens_out: number;
  /** USD summed over the events with a known cost. */
  cost_usd: number;
  /** The turn's duration in ms (its message_out/error), `null` while unknown. */
  duration_ms: number | null;
  errors: number;
}

/**
 * Orders `events` (time order) as a tree by parent_id: an event is placed under its parent (a
 * tool_result under its tool_call), except under a `message_in` — what answers the message (the
 * turn's message_out) belongs to the whole turn, so it stays in time order at the end. A parent
 * outside the group makes the event a root.
 */
function treeOrder(events: readonly TraceEvent[]): TimelineEvent[] {
  if (events.length === 1) return [{ event: events[0]!, depth: 0 }];
  const byId = new Map(events.map((e) => [e.id, e]));
  const children = new Map<string, TraceEvent[]>();
  const roots: TraceEvent[] = [];
  for (const e of events) {
    const parent = e.parent_id && e.parent_id !== e.id ? byId.get(e.parent_id) : undefined;
    if (parent && parent.kind !== 'message_in' && e.parent_id) {
      const list = children.get(e.parent_id) ?? [];
      list.push(e);
      children.set(e.parent_id, list);
    } else roots.push(e);
  }
  const out: TimelineEvent[] = [];
  const seen = new Set<string>();
  const stack: TimelineEvent[] = roots.map((event) => ({ event, depth: 0 })).reverse();
  while (stack.length) {
    const item = stack.pop()!;
    if (seen.has(item.event.id)) continue;
    seen.add(item.event.id);
    out.push(item);
    const kids = children.get(item.event.id) ?? [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ event: kids[i]!, depth: item.depth + 1 });
  }
  // A parent_id cycle leaves events unreached: show them as roots rather than lose them.
  for (const e of events) if (!seen.has(e.id)) out.push({ event: e, depth: 0 });
  return out;
}

/**
 * Groups events (oldest first) by agent and trace_id, in order of each group's first event; events
 * without a trace_id stand alone. Within a group, events are nested by parent_id.
 */
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
        rows: [],
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
    g.rows = treeOrder(g.events);
    g.events = g.rows.map((r) => r.event);
    const first = g.events.find((e) => e.kind === 'message_in');
    g.title = first?.kind === 'message_in' ? oneLine(first.payload.text, 80) : summaryOf(g.events[0]!);
  }
  return groups;
}
