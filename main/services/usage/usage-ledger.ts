// Usage of agents' model calls per local day and model (table usage_daily), summed from the gateway's llm_call records.
import type { UsageRow, UsageSummary, UsageTotals } from '../../../contract/usage';
import { DeferredFlush } from '../../platform/deferred-flush';
import type { Db } from '../storage/database';
import { firstDayOfMonth, localDay, localMonth } from './local-calendar';

/** The part of a gateway `llm_call` record the ledger counts. */
export interface CallUsage {
  /** The agent (the key's owner). */
  owner: string | null;
  /** The model that answered. */
  model: string | null;
  /** UTC ms of arrival: chooses the day. */
  created_at: number;
  tokens_in: number | null;
  tokens_out: number | null;
  cost_usd: number | null;
}

/** How often counted usage is written to SQLite, ms. */
export const USAGE_FLUSH_MS = 250;

interface Pending {
  day: string;
  agent: string;
  model: string;
  calls: number;
  tin: number;
  tout: number;
  usd: number;
}

const zero = (): UsageTotals => ({ calls: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0 });
const nonNeg = (n: number | null): number => (n !== null && Number.isFinite(n) && n > 0 ? n : 0);

/**
 * Counts every model call of an agent that reached LiteLLM (tokens or cost known, estimates of cut
 * streams included — see llm-usage.ts `estimateUsage`) into `usage_daily` (migration 010), keyed by local
 * day, agent and the model that answered. Counts are kept in memory at once (the gateway's budget
 * checks read {@link spent} on the request path) and written every {@link USAGE_FLUSH_MS} in one
 * transaction, and by {@link flush}; a crash loses at most that much, as for virtual keys' spending.
 */
export class UsageLedger {
  /** USD per `agent|YYYY-MM-DD` and `agent|YYYY-MM` (this month's, loaded at {@link load}). */
  private readonly totals = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  /** Writes pending amounts a while after the first change (SQLITE_BUSY: they stay pending and counted). */
  private readonly writeBehind = new DeferredFlush(
    USAGE_FLUSH_MS,
    () => this.flush(),
    () => this.db.open,
  );
  private loadedMonth = '';

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads this month's spending per agent and day from the table (call once at start, and it is cheap). */
  load(): void {
    const now = this.now();
    this.totals.clear();
    this.loadedMonth = localMonth(now);
    const rows = this.db
      .prepare(
        `SELECT day, agent_id, SUM(cost_usd) AS usd FROM usage_daily WHERE day >= ? GROUP BY day, agent_id`,
      )
      .all(firstDayOfMonth(now)) as { day: string; agent_id: string; usd: number }[];
    for (const r of rows) {
      this.bump(`${r.agent_id}|${r.day}`, r.usd);
      this.bump(`${r.agent_id}|${r.day.slice(0, 7)}`, r.usd);
    }
    for (const p of this.pending.values()) {
      this.bump(`${p.agent}|${p.day}`, p.usd);
      this.bump(`${p.agent}|${p.day.slice(0, 7)}`, p.usd);
    }
  }

  private bump(key: string, usd: number): void {
    this.totals.set(key, (this.totals.get(key) ?? 0) + usd);
  }

  /**
   * Counts one call. Calls without an owner or a model, and calls that never reached LiteLLM (no tokens
   * and no cost: refused by the gateway, LiteLLM down), are not counted.
   */
  add(call: CallUsage): void {
    if (!call.owner || !call.model) return;
    if (call.tokens_in === null && call.tokens_out === null && call.cost_usd === null) return;
    const day = localDay(call.created_at);
    const usd = nonNeg(call.cost_usd);
    const key = `${day}|${call.owner}|${call.model}`;
    const p = this.pending.get(key) ?? {
      day,
      agent: call.owner,
      model: call.model,
      calls: 0,
      tin: 0,
      tout: 0,
      usd: 0,
    };
    p.calls += 1;
    p.tin += Math.round(nonNeg(call.tokens_in));
    p.tout += Math.round(nonNeg(call.tokens_out));
    p.usd += usd;
    this.pending.set(key, p);
    if (localMonth(this.now()) !== this.loadedMonth) this.load();
    else {
      this.bump(`${call.owner}|${day}`, usd);
      this.bump(`${call.owner}|${day.slice(0, 7)}`, usd);
    }
    this.writeBehind.schedule();
  }

  /** USD spent by `agent` on the local day and in the local month of `at` (default now), unwritten amounts included. */
  spent(agent: string, at = this.now()): { day: number; month: number } {
    if (localMonth(at) !== this.loadedMonth && localMonth(this.now()) !== this.loadedMonth) this.load();
    return {
      day: this.totals.get(`${agent}|${localDay(at)}`) ?? 0,
      month: this.totals.get(`${agent}|${localMonth(at)}`) ?? 0,
    };
  }

  /**
   * Writes the counts kept in memory, in one transaction. A no-op when nothing is pending or the
   * database is closed. @throws SqliteError when the write fails (the counts stay pending).
   */
  flush(): void {
    if (this.pending.size === 0 || !this.db.open) return;
    const batch = [...this.pending.values()];
    const upsert = this.db.prepare(
      `INSERT INTO usage_daily (day, agent_id, model, calls, tokens_in, tokens_out, cost_usd)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, agent_id, model) DO UPDATE SET calls = calls + excluded.calls,
         tokens_in = tokens_in + excluded.tokens_in, tokens_out = tokens_out + excluded.tokens_out,
         cost_usd = cost_usd + excluded.cost_usd`,
    );
    this.db.transaction(() => {
      for (const p of batch) upsert.run(p.day, p.agent, p.model, p.calls, p.tin, p.tout, p.usd);
    })();
    this.pending.clear();
  }

  /**
   * Usage rows between `since` and `until` (local days, inclusive; default: this month to today), of one
   * agent or all, with today's and this month's totals over the same agents. Pending counts are written first.
   */
  summary(q: { agent_id?: string; since?: string; until?: string }): UsageSummary {
    this.flush();
    const now = this.now();
    const since = q.since ?? firstDayOfMonth(now);
    const until = q.until ?? localDay(now);
    const agentFilter = q.agent_id ? ' AND agent_id = @agent' : '';
    const rows = this.db
      .prepare(
        `SELECT day, agent_id, model, calls, tokens_in, tokens_out, cost_usd FROM usage_daily
         WHERE day >= @since AND day <= @until${agentFilter} ORDER BY day, agent_id, model`,
      )
      .all({ since, until, agent: q.agent_id ?? null }) as UsageRow[];
    const sum = (from: string, to: string): UsageTotals =>
      (this.db
        .prepare(
          `SELECT count(*) AS n, coalesce(SUM(calls), 0) AS calls, coalesce(SUM(tokens_in), 0) AS tokens_in,
             coalesce(SUM(tokens_out), 0) AS tokens_out, coalesce(SUM(cost_usd), 0) AS cost_usd
           FROM usage_daily WHERE day >= @from AND day <= @to${agentFilter}`,
        )
        .get({ from, to, agent: q.agent_id ?? null }) as UsageTotals | undefined) ?? zero();
    const pick = (t: UsageTotals): UsageTotals => ({
      calls: t.calls,
      tokens_in: t.tokens_in,
      tokens_out: t.tokens_out,
      cost_usd: t.cost_usd,
    });
    const today = localDay(now);
    return {
      since,
      until,
      rows,
      today: pick(sum(today, today)),
      month: pick(sum(firstDayOfMonth(now), today)),
    };
  }
}
