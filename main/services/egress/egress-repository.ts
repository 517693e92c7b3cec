// Agents' egress policies in the app database (migration 006): mode, allowlist entries, the agent's address.
import type { EgressMode } from '../../../contract/egress';
import type { Db } from '../storage/database';

/** An agent's stored egress policy. */
export interface EgressRow {
  agentId: string;
  mode: EgressMode;
  /** Normalised entries (contract/egress.ts `formatAllowTarget`). */
  allow: string[];
  /** IPv4 address on its engine's network, `null` before the first deploy. */
  address: string | null;
  /** UTC ms of the last change. */
  updatedAt: number;
}

interface Raw {
  agent_id: string;
  mode: EgressMode;
  allow: string;
  address: string | null;
  updated_at: number;
}

const toRow = (r: Raw): EgressRow => ({
  agentId: r.agent_id,
  mode: r.mode,
  allow: JSON.parse(r.allow) as string[],
  address: r.address,
  updatedAt: r.updated_at,
});

/** Reads and writes `agent_egress`. Synchronous (better-sqlite3). */
export class EgressRepository {
  constructor(private readonly db: Db) {}

  /** The agent's policy, or null when it has no row (an agent of an older data dir: caller uses `none`). */
  get(agentId: string): EgressRow | null {
    const r = this.db.prepare('SELECT * FROM agent_egress WHERE agent_id = ?').get(agentId) as
      Raw | undefined;
    return r ? toRow(r) : null;
  }

  /** Every row. */
  list(): EgressRow[] {
    return (this.db.prepare('SELECT * FROM agent_egress').all() as Raw[]).map(toRow);
  }

  /** Creates or replaces the agent's mode and entries (the address is kept). */
  setPolicy(agentId: string, mode: EgressMode, allow: string[], at = Date.now()): EgressRow {
    this.db
      .prepare(
        `INSERT INTO agent_egress (agent_id, mode, allow, address, updated_at) VALUES (?, ?, ?, NULL, ?)
         ON CONFLICT(agent_id) DO UPDATE SET mode = excluded.mode, allow = excluded.allow, updated_at = excluded.updated_at`,
      )
      .run(agentId, mode, JSON.stringify(allow), at);
    return this.get(agentId)!;
  }

  /** Records the agent's address (a row with `none` is made when missing). */
  setAddress(agentId: string, address: string | null): void {
    this.db
      .prepare(
        `INSERT INTO agent_egress (agent_id, mode, allow, address, updated_at) VALUES (?, 'none', '[]', ?, ?)
         ON CONFLICT(agent_id) DO UPDATE SET address = excluded.address`,
      )
      .run(agentId, address, Date.now());
  }

  /** Addresses recorded for agents of this data dir, by agent. */
  addresses(): Map<string, string> {
    const out = new Map<string, string>();
    for (const r of this.list()) if (r.address) out.set(r.agentId, r.address);
    return out;
  }

  /** Removes the agent's row (purge). */
  delete(agentId: string): void {
    this.db.prepare('DELETE FROM agent_egress WHERE agent_id = ?').run(agentId);
  }
}
