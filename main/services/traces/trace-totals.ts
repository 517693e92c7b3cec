// Per-agent daily totals of model use (tokens, cost, calls, errors) from the llm_call events of the trace store.
import type { AgentDayTotals, TraceTotals, TraceTotalsQuery } from '../../../contract/traces';

/** What the totals need. */
export interface TraceDayTotalsDeps {
  /** The store's sums of one UTC day per agent (TraceRecorder.totals). */
  recorder: { totals(day: string, agentIds: readonly string[]): Promise<AgentDayTotals[]> };
  /** The agents totalled when a query names none: the live (not archived) ones, in `agents.list` order. */
  liveAgentIds(): string[];
  /** The clock, UTC ms (default `Date.now`): chooses "today". */
  now?: () => number;
}

/**
 * Whether an `llm_call` event counts among the day's model calls: not a model listing (`GET /v1/models`,
 * the gateway's `/v1/agentdesk/models/<model>`) and not a call of the deploy's verify step (payload
 * `purpose: "verify"`). The SQL of HourDb.callSums applies the same rule.
 */
export function isModelCall(payload: unknown): boolean {
  const p = (payload ?? {}) as { purpose?: unknown; path?: unknown };
  return (
    p.purpose !== 'verify' &&
    p.path !== '/v1/models' &&
    !(typeof p.path === 'string' && p.path.startsWith('/v1/agentdesk/models'))
  );
}

/** The UTC day of `ms`, `YYYY-MM-DD`. */
export function utcDayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Per-agent totals of one UTC day over the agents' `llm_call` trace events (the Agents list's Today
 * column, `traces.totals`). Summed by the trace worker with SQL over the day's hour files (`SUM` over
 * `kind = 'llm_call'`), plus the events of the JSONL fallbacks not in SQLite; each event counts once.
 * Events still queued in the recorder (≤ its batch time) are not counted yet; `traces.event` fires once
 * they are committed.
 */
export class TraceDayTotals {
  constructor(private readonly d: TraceDayTotalsDeps) {}

  /**
   * Answers `traces.totals`: one entry per agent of `q.agent_ids` (duplicates once, in the order given),
   * or per live agent; an agent without a trace folder or without calls gets zeros.
   * @throws the worker's error when a trace folder cannot be read (e.g. EACCES).
   */
  async totals(q: TraceTotalsQuery): Promise<TraceTotals> {
    const day = q.day ?? utcDayOf((this.d.now ?? Date.now)());
    const ids = [...new Set(q.agent_ids ?? this.d.liveAgentIds())];
    return { day, totals: await this.d.recorder.totals(day, ids) };
  }
}
