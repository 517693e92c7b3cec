// Reads trace events back: hours of `.db`, `.jsonl` and `.late.jsonl` (plus events not yet written) → filter → de-duplicate by id → order → cursor pages.
import crypto from 'node:crypto';
import { AppError } from '../../../contract/errors';
import type { TraceEvent, TracePage, TraceQuery } from '../../../contract/traces';
import { asciiLower, payloadNeedle } from './trace-db';
import type { HourFilter } from './trace-db';
import { HOUR_MS, hourKeyOf, hourStartOf } from './trace-files';

/** The position after which a page starts: created_at and id of the last event of the previous page. */
export interface CursorPos {
  t: number;
  id: string;
}

interface Cursor extends CursorPos {
  o: 'asc' | 'desc';
  /** Hash of the filters, so a cursor is not reused with other filters. */
  f: string;
}

function filterHash(q: TraceQuery): string {
  const f = [q.agent_id, q.since, q.until, q.kinds?.join(','), q.thread_id, q.trace_id, q.text];
  return crypto.createHash('sha256').update(JSON.stringify(f)).digest('base64url').slice(0, 12);
}

/**
 * The position of `q.cursor`, or `null` without one.
 * @throws AppError INVALID_INPUT for a cursor that is not one, or that belongs to other filters or order.
 */
export function cursorOf(q: TraceQuery): CursorPos | null {
  if (!q.cursor) return null;
  let c: Partial<Cursor> | null = null;
  try {
    c = JSON.parse(Buffer.from(q.cursor, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    c = null;
  }
  if (!c || typeof c.t !== 'number' || typeof c.id !== 'string' || (c.o !== 'asc' && c.o !== 'desc'))
    throw new AppError('INVALID_INPUT', 'cursor: not a cursor; pass the next_cursor of the previous page');
  if (c.o !== q.order || c.f !== filterHash(q))
    throw new AppError(
      'INVALID_INPUT',
      'cursor: it belongs to a query with other filters or order; repeat the first query without a cursor',
    );
  return { t: c.t, id: c.id };
}

/** Total order of events: created_at, then id. */
function compare(a: TraceEvent, b: TraceEvent): number {
  return a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Whether `e` passes the filters of `f` (the JSON-file side of {@link HourFilter}, same meaning as the SQL). */
export function matchesFilter(e: TraceEvent, f: HourFilter): boolean {
  if (f.agentId !== undefined && e.agent_id !== f.agentId) return false;
  if (f.since !== undefined && e.created_at < f.since) return false;
  if (f.until !== undefined && e.created_at >= f.until) return false;
  if (f.kinds && !f.kinds.includes(e.kind)) return false;
  if (f.threadId !== undefined && e.thread_id !== f.threadId) return false;
  if (f.traceId !== undefined && e.trace_id !== f.traceId) return false;
  if (f.text !== undefined && !asciiLower(JSON.stringify(e.payload)).includes(f.text)) return false;
  if (f.after) {
    const a = f.after;
    const beyond =
      f.order === 'asc'
        ? e.created_at > a.t || (e.created_at === a.t && e.id > a.id)
        : e.created_at < a.t || (e.created_at === a.t && e.id < a.id);
    if (!beyond) return false;
  }
  return true;
}

/** The filter of one page of `q` after `after`, asking for one event more than the page (to know if more follow). */
export function hourFilterOf(q: TraceQuery, after: CursorPos | null): HourFilter {
  return {
    ...(q.since !== undefined ? { since: q.since } : {}),
    ...(q.until !== undefined ? { until: q.until } : {}),
    ...(q.agent_id !== undefined ? { agentId: q.agent_id } : {}),
    ...(q.kinds ? { kinds: q.kinds } : {}),
    ...(q.thread_id !== undefined ? { threadId: q.thread_id } : {}),
    ...(q.trace_id !== undefined ? { traceId: q.trace_id } : {}),
    ...(q.text !== undefined ? { text: payloadNeedle(q.text) } : {}),
    ...(after ? { after } : {}),
    order: q.order,
    limit: q.limit + 1,
  };
}

/** One hour of one trace folder, as the store reads it. */
export interface HourSource {
  key: string;
  /** The hour's events matching the filter, from every file of the hour (duplicates allowed). */
  read(f: HourFilter): TraceEvent[];
}

/**
 * Answers `q` from hours (of any number of folders) and events not yet written. Files are chosen by
 * created_at, so every event of an hour is later than every event of the hours before it: hours are
 * read in order and reading stops once a page is full — a page costs the hours it spans, not the whole
 * history. Duplicates (an event in `.db` and `.jsonl` after a retried batch) are dropped by id.
 */
export function pageOf(
  q: TraceQuery,
  after: CursorPos | null,
  hours: readonly HourSource[],
  pending: readonly TraceEvent[],
): TracePage {
  const f = hourFilterOf(q, after);
  const asc = q.order === 'asc';
  const byHour = new Map<string, { sources: HourSource[]; pending: TraceEvent[] }>();
  const slot = (key: string) => {
    let s = byHour.get(key);
    if (!s) byHour.set(key, (s = { sources: [], pending: [] }));
    return s;
  };
  for (const h of hours) slot(h.key).sources.push(h);
  for (const e of pending) slot(hourKeyOf(e.created_at)).pending.push(e);
  const lo = Math.max(q.since ?? -Infinity, after && asc ? after.t : -Infinity);
  const hi = Math.min(q.until ?? Infinity, after && !asc ? after.t + 1 : Infinity);
  const keys = [...byHour.keys()]
    .filter((k) => {
      const start = hourStartOf(k);
      return start + HOUR_MS > lo && start < hi;
    })
    .sort();
  if (!asc) keys.reverse();

  const seen = new Set<string>();
  const found: TraceEvent[] = [];
  for (const key of keys) {
    const s = byHour.get(key)!;
    const events = [...s.sources.flatMap((h) => h.read(f)), ...s.pending.filter((e) => matchesFilter(e, f))];
    for (const e of events) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      found.push(e);
    }
    if (found.length > q.limit) break;
  }
  found.sort(asc ? compare : (a, b) => compare(b, a));
  const events = found.slice(0, q.limit);
  const last = events.at(-1);
  const more = found.length > q.limit && last !== undefined;
  const cursor: Cursor | null = more
    ? { t: last.created_at, id: last.id, o: q.order, f: filterHash(q) }
    : null;
  return {
    events,
    next_cursor: cursor ? Buffer.from(JSON.stringify(cursor)).toString('base64url') : null,
  };
}
