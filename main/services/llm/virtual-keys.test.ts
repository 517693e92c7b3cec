// Virtual keys: shape and entropy, hash-only storage, scope matching, revocation (cached lookups), spending.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openDatabase } from '../storage/database';
import type { Db } from '../storage/database';
import {
  hashKey,
  inScope,
  isVirtualKeyShape,
  randomBase62,
  SPEND_FLUSH_MS,
  VirtualKeys,
} from './virtual-keys';

let dir: string;
let db: Db;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-vk-'));
  db = openDatabase(path.join(dir, 'agentdesk.db'));
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('virtual keys', () => {
  it('are sk-agentdesk- + 43 base62 characters, stored as SHA-256 and an 8-character prefix only', () => {
    const seen: string[] = [];
    const keys = new VirtualKeys(db, (k) => seen.push(k));
    const { key, record } = keys.mint({ owner: 'agent-1', models: ['openai/gpt-4o-mini'] });
    expect(key).toMatch(/^sk-agentdesk-[0-9A-Za-z]{43}$/);
    expect(isVirtualKeyShape(key)).toBe(true);
    expect(seen).toEqual([key]);
    expect(record.prefix).toBe(key.slice('sk-agentdesk-'.length, 'sk-agentdesk-'.length + 8));
    const row = db.prepare('SELECT * FROM virtual_keys').get() as Record<string, unknown>;
    expect(row.hash).toBe(hashKey(key));
    expect(JSON.stringify(row)).not.toContain(key.slice(13));
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(fs.readFileSync(path.join(dir, 'agentdesk.db')).includes(key.slice(13))).toBe(false);
    expect(keys.lookup(key)?.id).toBe(record.id);
  });

  it('draw every base62 character about equally (rejection sampling, no modulo bias)', () => {
    const counts = new Map<string, number>();
    const sample = randomBase62(62 * 2000);
    for (const c of sample) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(300); // ≈ 6.7 σ
  });

  it('lookup refuses malformed and unknown keys; revocation shows on the next lookup', () => {
    const keys = new VirtualKeys(db);
    const a = keys.mint({ owner: 'agent-1', models: ['*'] });
    const b = keys.mint({ owner: 'agent-1', models: ['*'] });
    expect(keys.lookup('sk-agentdesk-short')).toBeNull();
    expect(keys.lookup(`sk-agentdesk-${'0'.repeat(43)}`)).toBeNull();
    expect(keys.revoke(a.record.id)).toBe(true);
    expect(keys.revoke(a.record.id)).toBe(false);
    expect(keys.lookup(a.key)?.revokedAt).toBeGreaterThan(0);
    expect(keys.lookup(b.key)?.revokedAt).toBeNull();
    expect(keys.revokeOwner('agent-1')).toBe(1);
    expect(keys.list('agent-1').every((k) => k.revokedAt !== null)).toBe(true);
  });

  it('listLive names exactly the keys not revoked, whoever revoked them', () => {
    const keys = new VirtualKeys(db);
    const other = new VirtualKeys(db);
    const minted = Array.from({ length: 6 }, (_, i) => keys.mint({ owner: `agent-${i % 3}`, models: ['*'] }));
    keys.revoke(minted[0]!.record.id);
    other.revokeOwner('agent-2');
    const live = keys.listLive();
    const expected = keys.list().filter((k) => k.revokedAt === null);
    expect(live.map((k) => k.id).sort()).toEqual(expected.map((k) => k.id).sort());
    expect(live).toHaveLength(3);
    expect(live.every((k) => k.owner === 'agent-0' || k.owner === 'agent-1')).toBe(true);
  });

  it('keeps spending and validates limits', () => {
    const keys = new VirtualKeys(db);
    const { record } = keys.mint({ owner: 'a', models: ['*'], budgetUsd: 1, rpm: 10 });
    keys.recordUse(record.id, 0.25);
    keys.recordUse(record.id, Number.NaN);
    expect(keys.get(record.id)).toMatchObject({ spentUsd: 0.25, budgetUsd: 1, rpm: 10 });
    expect(keys.update(record.id, { rpm: null }).rpm).toBeNull();
    expect(() => keys.mint({ owner: 'a', models: [] })).toThrow(/at least one allowed model/);
    expect(() => keys.mint({ owner: ' ', models: ['*'] })).toThrow(/owner/);
    expect(() => keys.mint({ owner: 'a', models: ['*'], rpm: 0 })).toThrow(/positive integer/);
  });

  it('spending counts at once for the budget and reaches the database within the flush interval', async () => {
    const keys = new VirtualKeys(db);
    const { key, record } = keys.mint({ owner: 'a', models: ['*'], budgetUsd: 1 });
    keys.recordUse(record.id, 0.4, 1000);
    keys.recordUse(record.id, 0.35, 2000);
    expect(keys.lookup(key)).toMatchObject({ spentUsd: 0.75, lastUsedAt: 2000 });
    const stored = () =>
      db.prepare('SELECT spent_usd, last_used_at FROM virtual_keys WHERE id = ?').get(record.id) as {
        spent_usd: number;
        last_used_at: number | null;
      };
    await new Promise((r) => setTimeout(r, SPEND_FLUSH_MS + 150));
    expect(stored()).toEqual({ spent_usd: 0.75, last_used_at: 2000 });
    keys.recordUse(record.id, 0.25);
    expect(keys.lookup(key)!.spentUsd).toBe(1);
    keys.flush(); // what shutdown calls
    expect(stored().spent_usd).toBe(1);
    expect(keys.lookup(key)!.spentUsd).toBe(1);
  });

  it('a revocation by another connection or another instance shows on the next lookup', () => {
    const keys = new VirtualKeys(db);
    const a = keys.mint({ owner: 'agent-1', models: ['*'] });
    const b = keys.mint({ owner: 'agent-1', models: ['*'] });
    expect(keys.lookup(a.key)!.revokedAt).toBeNull(); // now cached
    expect(keys.lookup(b.key)!.revokedAt).toBeNull();
    const other = openDatabase(path.join(dir, 'agentdesk.db')); // e.g. another process
    try {
      expect(new VirtualKeys(other).revoke(a.record.id)).toBe(true);
    } finally {
      other.close();
    }
    expect(keys.lookup(a.key)!.revokedAt).toBeGreaterThan(0);
    expect(new VirtualKeys(db).revoke(b.record.id)).toBe(true); // same connection, other instance
    expect(keys.lookup(b.key)!.revokedAt).toBeGreaterThan(0);
  });

  it('scope: exact names, <provider>/*, and *', () => {
    expect(inScope(['openai/gpt-4o'], 'openai/gpt-4o')).toBe(true);
    expect(inScope(['openai/gpt-4o'], 'openai/gpt-4o-mini')).toBe(false);
    expect(inScope(['openai/*'], 'openai/gpt-4o-mini')).toBe(true);
    expect(inScope(['openai/*'], 'openaiX/gpt')).toBe(false);
    expect(inScope(['*'], 'anything/at-all')).toBe(true);
    fc.assert(
      fc.property(fc.string(), fc.string(), (p, m) => {
        const model = `${p.replace(/[/*]/g, '')}x/${m}`;
        return inScope([`${model.split('/')[0]}/*`], model) && !inScope([], model);
      }),
    );
  });
});
