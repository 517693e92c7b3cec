// Messages between the trace recorder (main thread) and the trace worker: requests with an id, one answer each.
import type { AgentDayTotals, TraceEvent, TracePage, TraceQuery } from '../../../contract/traces';
import type { CursorPos } from './trace-query';
import type { WriteOutcome } from './trace-store';

/** A request to the worker; answered in the order received (the worker is one synchronous loop). */
export type WorkerRequest =
  | { id: number; op: 'write'; dirs: string[]; batch: string }
  | { id: number; op: 'query'; q: TraceQuery; after: CursorPos | null; dirs: string[]; pending: TraceEvent[] }
  | { id: number; op: 'totals'; day: string; agents: { id: string; dir: string | null }[] }
  | { id: number; op: 'maintain'; dirs: string[]; now: number; retentionDays: number | null }
  | { id: number; op: 'index'; budgetMs: number }
  | { id: number; op: 'close' };

/** The value of each request kind. */
export interface WorkerValues {
  write: WriteOutcome;
  query: { page: TracePage; warnings: string[] };
  totals: AgentDayTotals[];
  maintain: { sealed: number; removed: number; warnings: string[] };
  /** Whether open files still have events to add to their text index. */
  index: boolean;
  close: null;
}

/** The worker's answer to request `id`: its value, or the error it threw. */
export type WorkerResponse =
  | { id: number; ok: true; value: WorkerValues[keyof WorkerValues] }
  | { id: number; ok: false; error: { name: string; message: string } };
