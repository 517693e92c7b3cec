// Spend limits per agent (table agent_limits): USD/day, USD/month, requests/minute; a missing value takes the Settings default.
import type { Db } from '../storage/database';

/** The limits in force for an agent, and which of them are the Settings defaults. */
export interface EffectiveLimits {
  usd_day: number;
  usd_month: number;
  rpm: number;
  defaults: { usd_day: boolean; usd_month: boolean; rpm: boolean };
}

/** The Settings defaults (contract/settings.ts Settings `default_*`). */
export interface LimitDefaults {
  default_budget_day_usd: number;
  default_budget_month_usd: number;
  default_rpm: number;
}

interface Row {
  usd_day: number | null;
  usd_month: number | null;
  rpm: number | null;
}

/**
 * The `agent_limits` table (migration 010), cached in memory (read on every gateway request; written
 * only through this class). Kept per agent rather than per virtual key: a key is minted anew at every
 * restore and redeploy, and a budget must not reset with it.
 */
export class AgentLimitsStore {
  private readonly cache = new Map<string, Row | null>();
  /** The last answer of {@link get} per agent, with the defaults object it was computed from. */
  private readonly effective = new Map<string, { defaults: LimitDefaults; limits: EffectiveLimits }>();

  constructor(
    private readonly db: Db,
    /** The Settings defaults; a different object means they may have changed. */
    private readonly defaults: () => LimitDefaults,
  ) {}

  /**
   * The limits of `agentId` (its own values, else the Settings defaults). Read on every gateway call, so
   * the answer is kept (frozen) until the agent's limits or the defaults change.
   */
  get(agentId: string): EffectiveLimits {
    const d = this.defaults();
    const known = this.effective.get(agentId);
    if (known && known.defaults === d) return known.limits;
    let row = this.cache.get(agentId);
    if (row === undefined) {
      row =
        (this.db
          .prepare('SELECT usd_day, usd_month, rpm FROM agent_limits WHERE agent_id = ?')
          .get(agentId) as Row | undefined) ?? null;
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(agentId, row);
    }
    const limits: EffectiveLimits = Object.freeze({
      usd_day: row?.usd_day ?? d.default_budget_day_usd,
      usd_month: row?.usd_month ?? d.default_budget_month_usd,
      rpm: row?.rpm ?? d.default_rpm,
      defaults: Object.freeze({
        usd_day: row?.usd_day == null,
        usd_month: row?.usd_month == null,
        rpm: row?.rpm == null,
      }),
    });
    if (this.effective.size > 10_000) this.effective.clear();
    this.effective.set(agentId, { defaults: d, limits });
    return limits;
  }

  /**
   * Changes some limits of `agentId`: a number sets it, `null` returns it to the Settings default,
   * `undefined` keeps it. Values are validated by the contract (contract/usage.ts) before this.
   */
  set(
    agentId: string,
    patch: { usd_day?: number | null; usd_month?: number | null; rpm?: number | null },
    now = Date.now(),
  ): EffectiveLimits {
    const cur = (this.db
      .prepare('SELECT usd_day, usd_month, rpm FROM agent_limits WHERE agent_id = ?')
      .get(agentId) as Row | undefined) ?? { usd_day: null, usd_month: null, rpm: null };
    const next: Row = {
      usd_day: patch.usd_day === undefined ? cur.usd_day : patch.usd_day,
      usd_month: patch.usd_month === undefined ? cur.usd_month : patch.usd_month,
      rpm: patch.rpm === undefined ? cur.rpm : patch.rpm,
    };
    this.db
      .prepare(
        `INSERT INTO agent_limits (agent_id, usd_day, usd_month, rpm, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (agent_id) DO UPDATE SET usd_day = excluded.usd_day, usd_month = excluded.usd_month,
           rpm = excluded.rpm, updated_at = excluded.updated_at`,
      )
      .run(agentId, next.usd_day, next.usd_month, next.rpm, now);
    this.cache.delete(agentId);
    this.effective.delete(agentId);
    return this.get(agentId);
  }

  /** Forgets the limits of an agent that no longer exists. */
  remove(agentId: string): void {
    this.db.prepare('DELETE FROM agent_limits WHERE agent_id = ?').run(agentId);
    this.cache.delete(agentId);
    this.effective.delete(agentId);
  }
}
