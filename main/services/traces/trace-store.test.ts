// The trace store on real SQLite files through the real worker: the hour boundary, SQLite failures → JSONL, sealing, late events, retention.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraceQuery } from '../../../contract/traces';
import { traceEvent } from '../../../test/trace-events';
import type { TraceEvent, TraceQueryInput } from '../../../contract/traces';
import { HourDb } from './trace-db';
import { readJsonlEvents } from './trace-files';
import { TraceRecorder } from './trace-recorder';
import { SealedHourError, TraceStore } from './trace-store';
import { rowOf } from './trace-wire';

const AGENT = '11111111-1111-4111-8111-111111111111';
const HOUR = 3_600_000;
/** 2024-05-01T14:00:00Z */
const T14 = Date.UTC(2024, 4, 1, 14);

let data: string;
let clock: number;
let recorded: TraceEvent[];
let recorder: TraceRecorder;

const dir = () => path.join(data, 'agents', AGENT, 'trace');
const file = (name: string) => path.join(dir(), name);

function event(createdAt: number, text = 'hello'): TraceEvent {
  return traceEvent(AGENT, createdAt, { payload: { from: 'user', text } });
}

const ids = async (input: TraceQueryInput = { agent_id: AGENT, limit: 1000 }) =>
  (await recorder.query(TraceQuery.parse(input))).events.map((e) => e.id);
const dbIds = (f: string) => {
  const db = new Database(f, { readonly: true });
  try {
    return (db.prepare('SELECT id FROM events ORDER BY rowid').all() as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
};

beforeEach(() => {
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-tracestore-'));
  fs.mkdirSync(path.join(data, 'agents', AGENT), { recursive: true });
  clock = T14 + 30 * 60_000;
  recorded = [];
  recorder = new TraceRecorder({
    traceDirOf: (id) => (id === AGENT ? dir() : null),
    allTraceDirs: () => [dir()],
    onRecorded: (e) => recorded.push(e),
    log: pino({ level: 'silent' }),
    now: () => clock,
    retentionDays: () => 30,
    maintenanceMs: 0,
  });
});

afterEach(async () => {
  await recorder.close();
  fs.rmSync(data, { recursive: true, force: true });
});

describe('trace store', () => {
  it('files an event created at 14:59:59.999 and written at 15:00:00.001 in the T14 file', async () => {
    clock = T14 + HOUR + 1; // the wall clock of the write: 15:00:00.001
    const e = event(T14 + HOUR - 1);
    await recorder.append([e]);
    expect(dbIds(file('2024-05-01T14.db'))).toEqual([e.id]);
    expect(fs.existsSync(file('2024-05-01T15.db'))).toBe(false);
    expect(await ids({ agent_id: AGENT, since: T14, until: T14 + HOUR })).toEqual([e.id]);
  });

  it('puts a batch SQLite refuses in the hour’s .jsonl (fsync’d, acknowledged, published) and reads both without duplicates', async () => {
    const before = [event(T14 + 1), event(T14 + 2)];
    await recorder.append(before);
    // Inject a real SQLite failure from another connection: every insert now aborts.
    const other = new Database(file('2024-05-01T14.db'));
    other.exec(`CREATE TRIGGER fail BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk says no'); END;`);
    // A retried batch (one id already in SQLite) plus a new event.
    const during = [before[1]!, event(T14 + 3)];
    await recorder.append(during);
    expect(readJsonlEvents(file('2024-05-01T14.jsonl')).events.map((e) => e.id)).toEqual(
      during.map((e) => e.id),
    );
    expect(fs.statSync(file('2024-05-01T14.jsonl')).mode & 0o777).toBe(0o600);
    expect(recorded.map((e) => e.id)).toEqual([...before, ...during].map((e) => e.id));
    other.exec('DROP TRIGGER fail');
    other.close();
    const after = event(T14 + 4);
    await recorder.append([after]);
    expect(dbIds(file('2024-05-01T14.db'))).toEqual([...before, after].map((e) => e.id));
    expect(await ids()).toEqual([before[0]!.id, before[1]!.id, during[1]!.id, after.id]);
    expect(await ids({ agent_id: AGENT, order: 'desc', limit: 2 })).toEqual([after.id, during[1]!.id]);
  });

  it('falls back to JSONL when the hour file is not a database at all, and still reads the hour', async () => {
    fs.mkdirSync(dir());
    fs.writeFileSync(file('2024-05-01T14.db'), 'this is not SQLite '.repeat(100));
    const e = event(T14 + 1);
    await recorder.append([e]);
    expect(readJsonlEvents(file('2024-05-01T14.jsonl')).events.map((x) => x.id)).toEqual([e.id]);
    expect(await ids()).toEqual([e.id]);
  });

  it('seals hours older than 2 h: read-only files and a marker; late events go to .late.jsonl and are read merged', async () => {
    const early = [event(T14 + 1), event(T14 + 2)];
    await recorder.append(early);
    fs.appendFileSync(file('2024-05-01T14.jsonl'), JSON.stringify(event(T14 + 3)) + '\n');
    clock = T14 + 3 * HOUR - 1; // the hour ended 2 h ago minus 1 ms: not yet
    expect(await recorder.maintain()).toEqual({ sealed: 0, removed: 0 });
    clock = T14 + 3 * HOUR;
    expect(await recorder.maintain()).toEqual({ sealed: 1, removed: 0 });
    expect(fs.existsSync(file('2024-05-01T14.sealed'))).toBe(true);
    for (const f of ['2024-05-01T14.db', '2024-05-01T14.jsonl', '2024-05-01T14.sealed'])
      expect(fs.statSync(file(f)).mode & 0o777).toBe(0o444);
    expect(fs.existsSync(file('2024-05-01T14.db-wal'))).toBe(false); // folded into the sealed file
    const sealedBytes = fs.readFileSync(file('2024-05-01T14.db'));

    const late = event(T14 + 10);
    await recorder.append([late]);
    expect(readJsonlEvents(file('2024-05-01T14.late.jsonl')).events.map((e) => e.id)).toEqual([late.id]);
    expect(fs.readFileSync(file('2024-05-01T14.db')).equals(sealedBytes)).toBe(true);
    expect((await ids()).length).toBe(4);
    expect(recorded.at(-1)?.id).toBe(late.id);

    // A write attempt on the sealed hour fails, whoever tries (root ignores 0444, the store does not).
    const store = new TraceStore();
    expect(() => store.openForWrite(dir(), '2024-05-01T14')).toThrow(SealedHourError);
    const ro = new HourDb(file('2024-05-01T14.db'), 'read');
    expect(() => ro.insert([rowOf(event(T14 + 20))])).toThrow(/readonly/i);
    ro.close();
    store.close();
    expect(dbIds(file('2024-05-01T14.db'))).toEqual(early.map((e) => e.id));
  });

  it('removes hours older than the retention setting, every file of them', async () => {
    const old = event(T14 + 1);
    const kept = event(T14 + 20 * 24 * HOUR);
    clock = kept.created_at;
    await recorder.append([old, kept]);
    clock = T14 + 3 * HOUR + 30 * 24 * HOUR; // the T14 hour ended 30 days + 2 h ago: sealed, then expired
    await recorder.maintain();
    const names = fs.readdirSync(dir()).sort();
    expect(names.filter((n) => n.startsWith('2024-05-01T14'))).toEqual([]);
    expect(names).toContain('2024-05-21T14.sealed');
    expect(await ids()).toEqual([kept.id]);
  });
});
