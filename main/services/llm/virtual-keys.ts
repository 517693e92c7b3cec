// Virtual keys of the gateway: minted per owner (agent), stored as SHA-256 only, scoped to models, with budget and rate.
import crypto from 'node:crypto';
import { AppError } from '../../../contract/errors';
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
  return crypto.createHash('sha256').update(key).digest('hex');
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

/**
 * The virtual key table (migration 003). Lookups go to SQLite on every request (an indexed read of a
 * few µs), so a revocation takes effect on the very next request, in any process sharing the database.
 */
export class VirtualKeys {
  private readonly byHash;
  private readonly spend;

  constructor(
    private readonly db: Db,
    private readonly onMint: (key: string) => void = () => {},
  ) {
    this.byHash = db.prepare('SELECT * FROM virtual_keys WHERE hash = ?');
    this.spend = db.prepare(
      'UPDATE virtual_keys SET spent_usd = spent_usd + ?, last_used_at = ? WHERE id = ?',
    );
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
    const row = this.byHash.get(hashKey(key)) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  /** One key by id, or `null`. */
  get(id: string): VirtualKeyRecord | null {
    const row = this.db.prepare('SELECT * FROM virtual_keys WHERE id = ?').get(id) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  /** Every key of `owner` (all owners when omitted), newest first. */
  list(owner?: string): VirtualKeyRecord[] {
    const rows = (
      owner === undefined
        ? this.db.prepare('SELECT * FROM virtual_keys ORDER BY created_at DESC').all()
        : this.db.prepare('SELECT * FROM virtual_keys WHERE owner = ? ORDER BY created_at DESC').all(owner)
    ) as Row[];
    return rows.map(toRecord);
  }

  /** Revokes one key; `true` when it was active. Effective on the next request. */
  revoke(id: string, now = Date.now()): boolean {
    return (
      this.db
        .prepare('UPDATE virtual_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
        .run(now, id).changes > 0
    );
  }

  /** Revokes every active key of `owner` (archiving an agent); returns how many. */
  revokeOwner(owner: string, now = Date.now()): number {
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

  /** Adds `usd` to the key's spending and stamps its last use (called by the gateway after each call). */
  recordUse(id: string, usd: number, now = Date.now()): void {
    this.spend.run(usd > 0 && Number.isFinite(usd) ? usd : 0, now, id);
  }
}
