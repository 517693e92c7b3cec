// Virtual keys of the gateway: minted per owner (agent), stored as SHA-256 only, scoped to models, with budget and rate.
import crypto from 'node:crypto';
import { AppError } from '../../../contract/errors';
import { DeferredFlush } from '../../platform/deferred-flush';
import type { Db } from '../storage/database';

/** Every virtual key starts with this, so SDKs that check a key's shape accept it. */
export const VIRTUAL_KEY_PREFIX = 'sk-agentdesk-';
/** Random characters after the prefix: 43 base62 characters ≥ 256 bits (43 × log2 62 ≈ 256.03). */
export const VIRTUAL_KEY_RANDOM_CHARS = 43;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_SHAPE = new RegExp(`^${VIRTUAL_KEY_PREFIX}[0-9A-Za-z]{${VIRTUAL_KEY_RANDOM_CHARS}}$`);

/**
 * `count` uniformly random base62 characters from crypto.randomBytes, by rejection sampling: bytes
 * ≥ 248 (= 4 × 62) are dropped so that `byte % 62` has no bias.
 */
export function randomBase62(count: number): string {
  let out = '';
  while (out.length < count) {
    for (const b of crypto.randomBytes(count + 8)) {
      if (b >= 248) continue;
      out += BASE62[b % 62];
      if (out.length === count) break;
    }
  }
  return out;
}

/** SHA-256 of a key, hex: the only form in which a virtual key is stored. */
export function hashKey(key: string): string {
  return crypto.hash('sha256', key); // one-shot hash (Node ≥ 20.12): a third of createHash's cost
}

/** True when `key` has the shape of a virtual key (checked before any lookup). */
export function isVirtualKeyShape(key: string): boolean {
  return KEY_SHAPE.test(key);
}

/** A stored virtual key (never the key itself). */
export interface VirtualKeyRecord {
  /** `vk_` + 16 base62 characters. */
  id: string;
  /** Who the key belongs to: the agent id (issue "Agents"); any string until then. */
  owner: string;
  /** The first 8 random characters, to recognise a key in lists: `sk-agentdesk-<prefix>…`. */
  prefix: string;
  /**
   * Allowed models: served names (`<provider>/<model>`), `<provider>/*` for every model of a provider,
   * or `*` for every model.
   */
  models: string[];
  /** Spending limit in USD, or `null` for none. */
  budgetUsd: number | null;
  /** Requests per minute, or `null` for no limit. */
  rpm: number | null;
  /** USD spent so far (costs recorded by the gateway). */
  spentUsd: number;
  /** UTC ms. */
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

interface Row {
  id: string;
  owner: string;
  prefix: string;
  models: string;
  budget_usd: number | null;
  rpm: number | null;
  spent_usd: number;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

function toRecord(r: Row): VirtualKeyRecord {
  return {
    id: r.id,
    owner: r.owner,
    prefix: r.prefix,
    models: JSON.parse(r.models) as string[],
    budgetUsd: r.budget_usd,
    rpm: r.rpm,
    spentUsd: r.spent_usd,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

/** True when `model` is allowed by `scope` (exact name, `<provider>/*`, or `*`). */
export function inScope(scope: readonly string[], model: string): boolean {
  for (const s of scope) {
    if (s === '*' || s === model) return true;
    if (s.endsWith('/*') && model.startsWith(s.slice(0, -1))) return true;
  }
  return false;
}

/** What {@link VirtualKeys.mint} takes. */
export interface MintInput {
  owner: string;
  models: string[];
  budgetUsd?: number | null;
  rpm?: number | null;
}

/** How often spending accumulated in memory is written to SQLite, ms. */
export const SPEND_FLUSH_MS = 250;
/** Lookups remembered at most (unknown keys included); the cache is emptied beyond. */
const CACHE_MAX = 1000;
/**
 * Writes to `virtual_keys` per connection, shared by every VirtualKeys on it: a connection's own commits
 * do not change its `data_version`, so two instances on one connection tell each other this way.
 */
const writeEpochs = new WeakMap<Db, { n: number }>();

/**
 * The virtual key table (migration 003), kept off the gateway's hot path without weakening its rules:
 * - Lookups are cached by hash, and the cache is emptied whenever the table may have changed: by this
 *   object's own writes, or by another connection's commit (SQLite `PRAGMA data_version`, checked on
 *   every lookup — sqlite.org/pragma.html#pragma_data_version). So a revocation still takes effect on
 *   the very next request, in any process sharing the database. Every write to `virtual_keys` must go
 *   through this class (any instance).
 * - Spending ({@link recordUse}) accumulates in memory and is written every {@link SPEND_FLUSH_MS} in one
 *   transaction, and by {@link flush} (call it at shutdown). Reads ({@link lookup}, {@link get},
 *   {@link list}) of this instance add the amounts not yet written, so the gateway's budget checks see
 *   every cent at once (other instances see them within 250 ms). A crash loses at most the last 250 ms
 *   of spending.
 */
export class VirtualKeys {
  private readonly byHash;
  private readonly spend;
  private readonly dataVersion;
  private readonly cache = new Map<string, VirtualKeyRecord | null>();
  private cacheVersion = -1;
  private cacheEpoch = -1;
  private readonly epoch: { n: number };
  private readonly pending = new Map<string, { usd: number; at: number }>();
  /** Writes pending amounts a while after the first change (SQLITE_BUSY: they stay pending and counted). */
  private readonly writeBehind = new DeferredFlush(
    SPEND_FLUSH_MS,
    () => this.flush(),
    () => this.db.open,
  );
  /** Suspended owners and why (see {@link suspend}). */
  private readonly suspended = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly onMint: (key: string) => void = () => {},
  ) {
    this.byHash = db.prepare('SELECT * FROM virtual_keys WHERE hash = ?');
    this.spend = db.prepare(
      `UPDATE virtual_keys SET spent_usd = spent_usd + ?, last_used_at = max(coalesce(last_used_at, 0), ?)
       WHERE id = ?`,
    );
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    let epoch = writeEpochs.get(db);
    if (!epoch) writeEpochs.set(db, (epoch = { n: 0 }));
    this.epoch = epoch;
  }

  /** Empties the lookup caches of every instance on this connection (call before each write). */
  private invalidate(): void {
    this.epoch.n++;
  }

  /** `rec` with the spending not yet written added (a copy: cached records are never handed out). */
  private withPending(rec: VirtualKeyRecord): VirtualKeyRecord {
    const p = this.pending.get(rec.id);
    return p ? { ...rec, spentUsd: rec.spentUsd + p.usd, lastUsedAt: p.at } : { ...rec };
  }

  /**
   * Mints a key for `owner`. The key is returned once and never stored (only its SHA-256 and prefix);
   * `onMint` (the secret redactor) sees it first.
   * @throws AppError INVALID_INPUT for an empty owner or scope, a negative budget or a non-positive rate.
   */
  mint(input: MintInput, now = Date.now()): { key: string; record: VirtualKeyRecord } {
    if (!input.owner.trim()) throw new AppError('INVALID_INPUT', 'A virtual key needs an owner');
    if (input.models.length === 0 || input.models.some((m) => !m.trim()))
      throw new AppError('INVALID_INPUT', 'A virtual key needs at least one allowed model (or "*")');
    if (input.budgetUsd != null && !(input.budgetUsd >= 0))
      throw new AppError('INVALID_INPUT', 'The budget must be a non-negative number of USD');
    if (input.rpm != null && !(Number.isInteger(input.rpm) && input.rpm > 0))
      throw new AppError('INVALID_INPUT', 'Requests per minute must be a positive integer');
    const random = randomBase62(VIRTUAL_KEY_RANDOM_CHARS);
    const key = VIRTUAL_KEY_PREFIX + random;
    this.onMint(key);
    this.invalidate();
    const row: Row = {
      id: `vk_${randomBase62(16)}`,
      owner: input.owner,
      prefix: random.slice(0, 8),
      models: JSON.stringify(input.models),
      budget_usd: input.budgetUsd ?? null,
      rpm: input.rpm ?? null,
      spent_usd: 0,
      created_at: now,
      last_used_at: null,
      revoked_at: null,
    };
    this.db
      .prepare(
        `INSERT INTO virtual_keys (id, owner, hash, prefix, models, budget_usd, rpm, spent_usd, created_at,
           last_used_at, revoked_at)
         VALUES (@id, @owner, @hash, @prefix, @models, @budget_usd, @rpm, @spent_usd, @created_at,
           @last_used_at, @revoked_at)`,
      )
      .run({ ...row, hash: hashKey(key) });
    return { key, record: toRecord(row) };
  }

  /** The record of `key` (revoked ones included: the caller tells them apart), or `null` when unknown or malformed. */
  lookup(key: string): VirtualKeyRecord | null {
    if (!isVirtualKeyShape(key)) return null;
    const version = this.dataVersion.get() as number;
    if (version !== this.cacheVersion || this.epoch.n !== this.cacheEpoch || this.cache.size > CACHE_MAX) {
      this.cache.clear();
      this.cacheVersion = version;
      this.cacheEpoch = this.epoch.n;
    }
    const hash = hashKey(key);
    let rec = this.cache.get(hash);
    if (rec === undefined) {
      const row = this.byHash.get(hash) as Row | undefined;
      rec = row ? toRecord(row) : null;
      this.cache.set(hash, rec);
    }
    return rec && this.withPending(rec);
  }

  /** One key by id, or `null`. */
  get(id: string): VirtualKeyRecord | null {
    const row = this.db.prepare('SELECT * FROM virtual_keys WHERE id = ?').get(id) as Row | undefined;
    return row ? this.withPending(toRecord(row)) : null;
  }

  /** Every key of `owner` (all owners when omitted), newest first. */
  list(owner?: string): VirtualKeyRecord[] {
    const rows = (
      owner === undefined
        ? this.db.prepare('SELECT * FROM virtual_keys ORDER BY created_at DESC').all()
        : this.db.prepare('SELECT * FROM virtual_keys WHERE owner = ? ORDER BY created_at DESC').all(owner)
    ) as Row[];
    return rows.map((r) => this.withPending(toRecord(r)));
  }

  /**
   * Id and owner of every key not revoked, oldest first. One narrow query: the table keeps every key ever
   * minted (revoked ones stay for the record), so mapping them all cost a core start with 30 agents
   * about 40 ms when the live ones were picked out of {@link list}.
   */
  listLive(): { id: string; owner: string }[] {
    return this.db
      .prepare('SELECT id, owner FROM virtual_keys WHERE revoked_at IS NULL ORDER BY created_at, rowid')
      .all() as { id: string; owner: string }[];
  }

  /** Revokes one key; `true` when it was active. Effective on the next request. */
  revoke(id: string, now = Date.now()): boolean {
    this.invalidate();
    return (
      this.db
        .prepare('UPDATE virtual_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
        .run(now, id).changes > 0
    );
  }

  /**
   * Suspends the keys of `owner` (in memory, for this instance): while suspended the gateway refuses
   * them with `reason` (e.g. `The agent "x" is stopped`). The agent service suspends an agent's keys
   * when it leaves the phases in which it may call, and resumes them when it enters one.
   */
  suspend(owner: string, reason: string): void {
    this.suspended.set(owner, reason);
  }

  /** Lifts a suspension of `owner`'s keys; no-op when none. */
  resume(owner: string): void {
    this.suspended.delete(owner);
  }

  /** Why `owner`'s keys are suspended, or `null` when they are not. */
  suspension(owner: string): string | null {
    return this.suspended.get(owner) ?? null;
  }

  /** Revokes every active key of `owner` (archiving an agent); returns how many. */
  revokeOwner(owner: string, now = Date.now()): number {
    this.invalidate();
    return this.db
      .prepare('UPDATE virtual_keys SET revoked_at = ? WHERE owner = ? AND revoked_at IS NULL')
      .run(now, owner).changes;
  }

  /** Changes the scope, budget or rate of a key. @throws AppError NOT_FOUND */
  update(
    id: string,
    patch: { models?: string[]; budgetUsd?: number | null; rpm?: number | null },
  ): VirtualKeyRecord {
    const cur = this.get(id);
    if (!cur) throw new AppError('NOT_FOUND', `No virtual key ${id}`);
    this.invalidate();
    this.db
      .prepare('UPDATE virtual_keys SET models = ?, budget_usd = ?, rpm = ? WHERE id = ?')
      .run(
        JSON.stringify(patch.models ?? cur.models),
        patch.budgetUsd === undefined ? cur.budgetUsd : patch.budgetUsd,
        patch.rpm === undefined ? cur.rpm : patch.rpm,
        id,
      );
    return this.get(id)!;
  }

  /**
   * Adds `usd` to the key's spending and stamps its last use (called by the gateway after each call).
   * Counted at once by reads; written within {@link SPEND_FLUSH_MS}.
   */
  recordUse(id: string, usd: number, now = Date.now()): void {
    const p = this.pending.get(id);
    const add = usd > 0 && Number.isFinite(usd) ? usd : 0;
    if (p) {
      p.usd += add;
      p.at = Math.max(p.at, now);
    } else this.pending.set(id, { usd: add, at: now });
    this.writeBehind.schedule();
  }

  /**
   * Writes the spending accumulated in memory, in one transaction. A no-op when nothing is pending or
   * the database is already closed.
   * @throws SqliteError when the write fails (the amounts stay pending and counted).
   */
  flush(): void {
    if (this.pending.size === 0 || !this.db.open) return;
    const batch = [...this.pending];
    this.db.transaction(() => {
      for (const [id, p] of batch) this.spend.run(p.usd, p.at, id);
    })();
    this.pending.clear();
    this.invalidate(); // cached rows hold the old totals
  }
}
