// Provider rows and cached model lists in the app database. Holds no key material: only a key reference.
import type { Db } from '../storage/database';
import { originOf } from './base-url';

/** A provider row. `key_ref` is the keychain account (`provider:<id>`) or `null` when no key is stored. */
export interface ProviderRow {
  id: string;
  type: string;
  name: string;
  base_url: string;
  key_ref: string | null;
  status: 'unknown' | 'ok' | 'error';
  status_detail: string;
  /** UTC ms. */
  checked_at: number | null;
  /** UTC ms. */
  models_fetched_at: number | null;
  created_at: number;
  updated_at: number;
  /**
   * The origin (`scheme://host:port`, base-url.ts `originOf`) `AGENTDESK_KEY_<ID>` belongs to (migration
   * 008): set when the provider is added, kept when its base URL moves, changed only when the user
   * accepts the variable for the new host. `null` on rows from before migration 008 (the current origin).
   */
  env_key_origin: string | null;
}

/**
 * The origin `AGENTDESK_KEY_<ID>` was given for when it must NOT be sent to the row's current base URL
 * (the base URL moved to another origin since), else `null` (the variable may be used).
 */
export function envKeyRefusedFor(row: Pick<ProviderRow, 'base_url' | 'env_key_origin'>): string | null {
  return row.env_key_origin !== null && row.env_key_origin !== originOf(row.base_url)
    ? row.env_key_origin
    : null;
}

/** A cached model. */
export interface ModelRow {
  model_id: string;
  label: string | null;
}

/**
 * Reads and writes providers and their models (tables of migration 002). Synchronous (better-sqlite3).
 * Uniqueness of id and name (case-insensitive) is enforced by the schema; callers check first to
 * produce CONFLICT errors with a message.
 */
export class ProviderRepository {
  constructor(private readonly db: Db) {}

  /** Every provider, by name (case-insensitive). */
  list(): ProviderRow[] {
    return this.db.prepare('SELECT * FROM providers ORDER BY name COLLATE NOCASE').all() as ProviderRow[];
  }

  /** One provider, or `undefined`. */
  get(id: string): ProviderRow | undefined {
    return this.db.prepare('SELECT * FROM providers WHERE id = ?').get(id) as ProviderRow | undefined;
  }

  /** The provider named `name` (case-insensitive), or `undefined`. */
  findByName(name: string): ProviderRow | undefined {
    return this.db.prepare('SELECT * FROM providers WHERE name = ? COLLATE NOCASE').get(name) as
      ProviderRow | undefined;
  }

  /**
   * Inserts a row; `env_key_origin` defaults to the origin of `base_url` (the host the provider is
   * added for). @throws SqliteError on a duplicate id or name.
   */
  insert(row: Omit<ProviderRow, 'env_key_origin'> & { env_key_origin?: string | null }): void {
    this.db
      .prepare(
        `INSERT INTO providers (id, type, name, base_url, key_ref, status, status_detail, checked_at,
           models_fetched_at, created_at, updated_at, env_key_origin)
         VALUES (@id, @type, @name, @base_url, @key_ref, @status, @status_detail, @checked_at,
           @models_fetched_at, @created_at, @updated_at, @env_key_origin)`,
      )
      .run({ ...row, env_key_origin: row.env_key_origin ?? originOf(row.base_url) });
  }

  /** Changes some fields of a row and bumps `updated_at`. */
  update(
    id: string,
    patch: Partial<Omit<ProviderRow, 'id' | 'type' | 'created_at'>>,
    now = Date.now(),
  ): void {
    const fields = Object.keys(patch).filter((k) => k !== 'updated_at');
    const sets = [...fields.map((k) => `${k} = @${k}`), 'updated_at = @updated_at'];
    this.db
      .prepare(`UPDATE providers SET ${sets.join(', ')} WHERE id = @id`)
      .run({ ...patch, id, updated_at: now });
  }

  /** Records the outcome of a test without touching `updated_at` (a test is not an edit). */
  setStatus(id: string, status: ProviderRow['status'], detail: string, checkedAt: number): void {
    this.db
      .prepare('UPDATE providers SET status = ?, status_detail = ?, checked_at = ? WHERE id = ?')
      .run(status, detail, checkedAt, id);
  }

  /** Deletes a row and its models; `true` when it existed. */
  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM providers WHERE id = ?').run(id).changes > 0;
  }

  /** The cached models of a provider, in the order the provider listed them. */
  models(id: string): ModelRow[] {
    return this.db
      .prepare('SELECT model_id, label FROM provider_models WHERE provider_id = ? ORDER BY position')
      .all(id) as ModelRow[];
  }

  /** Number of cached models per provider id. */
  modelCounts(): Map<string, number> {
    const rows = this.db
      .prepare('SELECT provider_id, COUNT(*) AS n FROM provider_models GROUP BY provider_id')
      .all() as { provider_id: string; n: number }[];
    return new Map(rows.map((r) => [r.provider_id, r.n]));
  }

  /** Replaces the cached models of a provider in one transaction (duplicates keep their first position). */
  replaceModels(id: string, models: ModelRow[], fetchedAt: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM provider_models WHERE provider_id = ?').run(id);
      const insert = this.db.prepare(
        `INSERT OR IGNORE INTO provider_models (provider_id, model_id, label, position, fetched_at)
         VALUES (?, ?, ?, ?, ?)`,
      );
      models.forEach((m, i) => insert.run(id, m.model_id, m.label, i, fetchedAt));
      this.db.prepare('UPDATE providers SET models_fetched_at = ? WHERE id = ?').run(fetchedAt, id);
    })();
  }

  /** Forgets the cached models (after the base URL or key changed). */
  clearModels(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM provider_models WHERE provider_id = ?').run(id);
      this.db.prepare('UPDATE providers SET models_fetched_at = NULL WHERE id = ?').run(id);
    })();
  }
}
