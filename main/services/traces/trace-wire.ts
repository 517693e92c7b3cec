// How a batch of trace events crosses to the worker: one string (cheap to post), each event as its envelope JSON and payload JSON.
import type { TraceEvent } from '../../../contract/traces';

/** One event ready for storage: the columns SQLite indexes, and the envelope (without payload) and payload as JSON text. */
export interface StoredRow {
  id: string;
  created_at: number;
  kind: string;
  agent_id: string;
  trace_id: string | null;
  thread_id: string | null;
  tokens_in: number | null;
  tokens_out: number | null;
  cost_usd: number | null;
  error: string | null;
  envelope: string;
  payload: string;
}

/** An encoded event: `[envelope JSON, payload JSON]`, made once when it is recorded. */
export type EncodedEvent = readonly [envelope: string, payload: string];

/** Encodes a (validated) event: its envelope without the payload, and the payload, as JSON. */
export function encodeEvent(e: TraceEvent): EncodedEvent {
  const { payload, ...envelope } = e;
  return [JSON.stringify(envelope), JSON.stringify(payload)];
}

// JSON text never holds a raw NUL or newline (JSON.stringify escapes control characters), so they separate safely.
const FIELD = '\u0000';
const ROW = '\n';

/** One batch as a string: rows `dirIndex NUL envelope NUL payload`, separated by newlines. */
export function encodeBatch(rows: readonly { dir: number; event: EncodedEvent }[]): string {
  return rows.map((r) => `${r.dir}${FIELD}${r.event[0]}${FIELD}${r.event[1]}`).join(ROW);
}

/** The rows of {@link encodeBatch}'s string, with the index of their folder. @throws SyntaxError on a malformed row. */
export function decodeBatch(text: string): { dir: number; row: StoredRow }[] {
  if (!text) return [];
  return text.split(ROW).map((line) => {
    const [dir, envelope, payload] = line.split(FIELD);
    if (dir === undefined || envelope === undefined || payload === undefined)
      throw new SyntaxError('malformed trace batch row');
    const e = JSON.parse(envelope) as Omit<StoredRow, 'envelope' | 'payload'>;
    return {
      dir: Number(dir),
      row: {
        id: e.id,
        created_at: e.created_at,
        kind: e.kind,
        agent_id: e.agent_id,
        trace_id: e.trace_id,
        thread_id: e.thread_id,
        tokens_in: e.tokens_in,
        tokens_out: e.tokens_out,
        cost_usd: e.cost_usd,
        error: e.error,
        envelope,
        payload,
      },
    };
  });
}

/** The stored row of an event (tests, tools). */
export function rowOf(e: TraceEvent): StoredRow {
  return decodeBatch(encodeBatch([{ dir: 0, event: encodeEvent(e) }]))[0]!.row;
}

/** The full event JSON (one JSONL line, without the newline) of a row: the envelope with `payload` appended. */
export function eventJsonOf(r: StoredRow): string {
  return `${r.envelope.slice(0, -1)},"payload":${r.payload}}`;
}
