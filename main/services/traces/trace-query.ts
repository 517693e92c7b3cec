// Reads trace events back: hour files (plus events not yet written) → filter → de-duplicate by id → order → cursor pages.
import crypto from 'node:crypto';
import { AppError } from '../../../contract/errors';
import type { TraceEvent, TracePage, TraceQuery } from '../../../contract/traces';
import { HOUR_MS, hourKeyOf, hourStartOf, listHourFiles, readHourFile } from './trace-files';

/** Where a query reads from. */
export interface TraceSource {
  /** Trace folders (`<agent>/trace`) to read. */
  dirs: readonly string[];
  /** Events accepted but not yet on disk (they count as recorded). */
  pending: readonly TraceEvent[];
}

interface Cursor {
  /** created_at and id of the last event of the previous page. */
  t: number;
  id: string;
  o: 'asc' | 'desc';
  /** Hash of the filters, so a cursor is not reused with other filters. */
  f: string;
}

function filterHash(q: TraceQuery): string {
  const f = [q.agent_id, q.since, q.until, q.kinds?.join(','), q.thread_id, q.trace_id];
  return crypto.createHash('sha256').update(JSON.stringify(f)).digest('base64url').slice(0, 12);
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(raw: string, q: TraceQuery): Cursor {
  let c: Partial<Cursor> | null = null;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
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
  return c as Cursor;
}

/** Total order of events: created_at, then id. */
function compare(a: TraceEvent, b: TraceEvent): number {
  return a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function matches(e: TraceEvent, q: TraceQuery, after: Cursor | null): boolean {
  if (q.agent_id !== undefined && e.agent_id !== q.agent_id) return false;
  if (q.since !== undefined && e.created_at < q.since) return false;
  if (q.until !== undefined && e.created_at >= q.until) return false;
  if (q.kinds && !q.kinds.includes(e.kind)) return false;
  if (q.thread_id !== undefined && e.thread_id !== q.thread_id) return false;
  if (q.trace_id !== undefined && e.trace_id !== q.trace_id) return false;
  if (after) {
    const beyond =
      after.o === 'asc'
        ? e.created_at > after.t || (e.created_at === after.t && e.id > after.id)
        : e.created_at < after.t || (e.created_at === after.t && e.id < after.id);
    if (!beyond) return false;
  }
  return true;
}

/**
 * Answers `q` from `src`. Files are chosen by created_at, so every event of an hour file is later than
 * every event of the files before it: hours are read in order and reading stops once a page is full —
 * a page costs the hours it spans, not the whole history. Duplicates (a runtime retrying a batch that
 * was already written) are dropped by id; unreadable lines are skipped.
 * @throws AppError INVALID_INPUT for a cursor that is not one, or that belongs to other filters.
 */
export async function queryTraces(q: TraceQuery, src: TraceSource): Promise<TracePage> {
  const after = q.cursor ? decodeCursor(q.cursor, q) : null;
  const byHour = new Map<string, { files: string[]; pending: TraceEvent[] }>();
  const slot = (key: string) => {
    let s = byHour.get(key);
    if (!s) byHour.set(key, (s = { files: [], pending: [] }));
    return s;
  };
  for (const dir of src.dirs) for (const [key, files] of listHourFiles(dir)) slot(key).files.push(...files);
  for (const e of src.pending) slot(hourKeyOf(e.created_at)).pending.push(e);

  const asc = q.order === 'asc';
  const lo = Math.max(q.since ?? -Infinity, after && asc ? after.t : -Infinity);
  const hi = Math.min(q.until ?? Infinity, after && !asc ? after.t + 1 : Infinity);
  const hours = [...byHour.keys()]
    .filter((k) => {
      const start = hourStartOf(k);
      return start + HOUR_MS > lo && start < hi;
    })
    .sort();
  if (!asc) hours.reverse();

  const seen = new Set<string>();
  const found: TraceEvent[] = [];
  for (const key of hours) {
    const s = byHour.get(key)!;
    const read = await Promise.all(s.files.map((f) => readHourFile(f)));
    for (const e of [...read.flatMap((r) => r.events), ...s.pending]) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      if (matches(e, q, after)) found.push(e);
    }
    if (found.length > q.limit) break;
  }
  found.sort(asc ? compare : (a, b) => compare(b, a));
  const events = found.slice(0, q.limit);
  const last = events.at(-1);
  const more = found.length > q.limit && last !== undefined;
  return {
    events,
    next_cursor: more
      ? encodeCursor({ t: last.created_at, id: last.id, o: q.order, f: filterHash(q) })
      : null,
  };
}
