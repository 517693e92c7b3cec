// The trace hour's text index: indexed searches find exactly what the scan finds (special characters, FTS syntax typed by the user, partly indexed files, sealed files, version-1 files).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { traceEvent } from '../../../test/trace-events';
import type { TraceEvent } from '../../../contract/traces';
import { ftsQueryOf, HourDb, payloadNeedle } from './trace-db';
import type { HourFilter } from './trace-db';
import { rowOf } from './trace-wire';

const AGENT = '11111111-1111-4111-8111-111111111111';
const T0 = Date.UTC(2024, 4, 1, 14);

/** Texts a user may search for, with the characters that are query syntax in FTS5 or escaped in JSON. */
const TEXTS = [
  'hello world',
  'say "quoted" words',
  'star* and prefix',
  'NEAR(a b) is syntax',
  'minus -excluded term',
  'column:filter here',
  'a AND b OR NOT c',
  'parens (group) ^caret',
  'back\\slash and \\n literal',
  'line\nbreak and\ttab',
  'ÉCOLE élève Ünïcode 日本語テキスト',
  'emoji 🤖 robot',
  "single 'quote' and ;-- sql",
  'x',
  'ab',
  'percent 100% under_score',
];

/** Needles: pieces of the texts above, FTS operators on their own, and words found nowhere. */
const NEEDLES = [
  'hello',
  'HELLO',
  'llo wor',
  '"quoted"',
  '"',
  'say "',
  'star*',
  '*',
  'NEAR',
  'NEAR(a b)',
  '-excluded',
  '-',
  'column:',
  ':',
  'AND',
  'a AND b OR NOT c',
  '(group)',
  '^caret',
  '\\',
  'back\\slash',
  '\\n',
  '\n',
  'line\nbreak',
  '\t',
  'école',
  'ÉCOLE',
  'élève',
  '日本語',
  '🤖',
  "'quote'",
  ';--',
  'x',
  'ab',
  '100%',
  '_',
  'from',
  '"text":"',
  'nowhere at all',
];

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-tracefts-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function events(): TraceEvent[] {
  return TEXTS.map((text, i) =>
    traceEvent(AGENT, T0 + i, { payload: { from: i % 2 ? 'user' : 'User', text } }),
  );
}

const filter = (text: string, over: Partial<HourFilter> = {}): HourFilter => ({
  text: payloadNeedle(text),
  order: 'asc',
  limit: 1000,
  ...over,
});
const idsOf = (db: HourDb, f: HourFilter) => db.select(f).map((e) => e.id);

/** What the scan (the search before the index, `noIndex`) finds in `file`. */
function scanned(file: string, f: HourFilter): string[] {
  const db = new HourDb(file, 'read', true);
  try {
    return idsOf(db, f);
  } finally {
    db.close();
  }
}

describe('trace text index', () => {
  it('finds exactly what the scan finds, for every needle, once everything is indexed', () => {
    const file = path.join(dir, 'a.db');
    const db = new HourDb(file, 'write');
    db.insert(events().map(rowOf));
    expect(db.hasUnindexed()).toBe(true);
    while (db.indexPending(5) > 0);
    expect(db.hasUnindexed()).toBe(false);
    let found = 0;
    for (const needle of NEEDLES) {
      const want = scanned(file, filter(needle));
      expect(idsOf(db, filter(needle)), `needle ${JSON.stringify(needle)}`).toEqual(want);
      found += want.length;
    }
    expect(found).toBeGreaterThan(NEEDLES.length); // the needles do find things
    db.close();
  });

  it('takes FTS syntax typed by the user as text: no query error, no match beyond the substring', () => {
    for (const needle of ['"', 'a"b', 'NEAR(x y)', '*', 'x OR y', '-a', 'col:val'])
      expect(ftsQueryOf(needle) === null || ftsQueryOf(needle)!.startsWith('"')).toBe(true);
    expect(ftsQueryOf('say "hi"')).toBe('"say ""hi"""');
    expect(ftsQueryOf('ab')).toBeNull(); // under 3 characters: scanned
    const file = path.join(dir, 'b.db');
    const db = new HourDb(file, 'write');
    db.insert(events().map(rowOf));
    while (db.indexPending(100) > 0);
    // `hello OR star` would match two events as a query; as text it is found nowhere.
    expect(idsOf(db, filter('hello OR star'))).toEqual([]);
    expect(idsOf(db, filter('NEAR(hello world)'))).toEqual([]);
    db.close();
  });

  it('finds events not yet indexed (rows inserted after the last indexPending) and keeps the other filters', () => {
    const file = path.join(dir, 'c.db');
    const db = new HourDb(file, 'write');
    const all = events();
    db.insert(all.slice(0, 6).map(rowOf));
    db.indexPending(3); // part of the first batch only
    db.insert(all.slice(6).map(rowOf));
    expect(db.hasUnindexed()).toBe(true);
    for (const needle of NEEDLES) {
      for (const over of [
        {},
        { order: 'desc' as const },
        { since: T0 + 4, until: T0 + 12 },
        { limit: 1 },
        { after: { t: T0 + 2, id: '' } },
      ]) {
        const f = filter(needle, over);
        expect(idsOf(db, f), `needle ${JSON.stringify(needle)} ${JSON.stringify(over)}`).toEqual(
          scanned(file, f),
        );
      }
    }
    db.close();
  });

  it('answers indexed rows through the index (a row changed behind the index is found by its indexed text)', () => {
    const file = path.join(dir, 'f.db');
    const db = new HourDb(file, 'write');
    db.insert(events().map(rowOf));
    while (db.indexPending(100) > 0);
    // Changed outside HourDb (never done by the app): the index still holds the old text of this row.
    const raw = new Database(file);
    raw.prepare("UPDATE events SET payload = replace(payload, 'hello world', 'hello earth')").run();
    raw.close();
    expect(idsOf(db, filter('earth'))).toEqual([]); // not in the index: the scan is not what answers
    expect(scanned(file, filter('earth'))).toHaveLength(1);
    expect(idsOf(db, filter('hello'))).toHaveLength(1); // in both: index candidate, exact test passes
    db.close();
  });

  it('completes the index when the hour is sealed; a sealed file is searched read-only through it', () => {
    const file = path.join(dir, 'd.db');
    const db = new HourDb(file, 'write');
    db.insert(events().map(rowOf));
    db.checkpointForSeal();
    db.close();
    const raw = new Database(file, { readonly: true });
    const st = raw.prepare('SELECT indexed_to FROM fts_state').get() as { indexed_to: number };
    const max = raw.prepare('SELECT max(rowid) AS m FROM events').get() as { m: number };
    raw.close();
    expect(st.indexed_to).toBe(max.m);
    const ro = new HourDb(file, 'read');
    for (const needle of NEEDLES) expect(idsOf(ro, filter(needle))).toEqual(scanned(file, filter(needle)));
    ro.close();
  });

  it('opens a version-1 hour file: a sealed one is scanned, a writable one gets the index', () => {
    const file = path.join(dir, 'e.db');
    const v1 = new Database(file);
    v1.exec(`CREATE TABLE events (id TEXT NOT NULL PRIMARY KEY, created_at INTEGER NOT NULL, kind TEXT NOT NULL,
      agent_id TEXT NOT NULL, trace_id TEXT, thread_id TEXT, tokens_in INTEGER, tokens_out INTEGER, cost_usd REAL,
      error TEXT, envelope TEXT NOT NULL, payload TEXT NOT NULL); PRAGMA user_version = 1;`);
    const ins = v1.prepare('INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?)');
    for (const r of events().map(rowOf))
      ins.run(
        r.id,
        r.created_at,
        r.kind,
        r.agent_id,
        r.trace_id,
        r.thread_id,
        r.tokens_in,
        r.tokens_out,
        r.cost_usd,
        r.error,
        r.envelope,
        r.payload,
      );
    v1.close();
    const want = scanned(file, filter('hello'));
    expect(want).toHaveLength(1);
    const ro = new HourDb(file, 'read');
    expect(idsOf(ro, filter('hello'))).toEqual(want);
    ro.close();
    const rw = new HourDb(file, 'write');
    expect(rw.hasUnindexed()).toBe(true);
    expect(idsOf(rw, filter('hello'))).toEqual(want); // all scanned until indexed
    while (rw.indexPending(4) > 0);
    expect(idsOf(rw, filter('hello'))).toEqual(want);
    rw.close();
  });
});
