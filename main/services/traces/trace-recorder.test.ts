// The trace recorder on real files: hour files by created_at, commit before acknowledgement, de-duplication, cursor paging, text search, drops.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraceQuery } from '../../../contract/traces';
import { traceEvent } from '../../../test/trace-events';
import type { TraceEvent, TraceQueryInput } from '../../../contract/traces';
import { hourKeyOf } from './trace-files';
import { InvalidTraceEventError, TraceRecorder } from './trace-recorder';

const AGENT = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
/** 2024-05-01T14:00:00Z */
const T14 = Date.UTC(2024, 4, 1, 14);

let data: string;
let recorded: TraceEvent[];
let recorder: TraceRecorder;

const traceDir = (agent: string) => path.join(data, 'agents', agent, 'trace');

function event(over: Partial<TraceEvent> & { created_at: number }): TraceEvent {
  return traceEvent(AGENT, over.created_at, over);
}

const q = (input: TraceQueryInput) => recorder.query(TraceQuery.parse(input));
/** The ids stored in a SQLite hour file, in insertion (rowid) order. */
const dbIds = (file: string): string[] => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT id FROM events ORDER BY rowid').all() as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
};
const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TraceEvent);

beforeEach(() => {
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-traces-'));
  for (const a of [AGENT, OTHER]) fs.mkdirSync(path.join(data, 'agents', a), { recursive: true });
  recorded = [];
  recorder = new TraceRecorder({
    traceDirOf: (id) => (fs.existsSync(path.join(data, 'agents', id)) ? traceDir(id) : null),
    allTraceDirs: () => fs.readdirSync(path.join(data, 'agents')).map((id) => traceDir(id)),
    onRecorded: (e) => recorded.push(e),
    log: pino({ level: 'silent' }),
    now: () => T14 + 30 * 60_000,
    maintenanceMs: 0,
  });
});

afterEach(async () => {
  await recorder.close();
  fs.rmSync(data, { recursive: true, force: true });
});

describe('TraceRecorder', () => {
  it('files an event by the UTC hour of created_at: 14:59:59.999 goes to T14 even when written later', async () => {
    const late = event({ created_at: T14 + 3_600_000 - 1 });
    const next = event({ created_at: T14 + 3_600_000 });
    await recorder.append([late, next]);
    const dbs = fs.readdirSync(traceDir(AGENT)).filter((f) => f.endsWith('.db'));
    expect(dbs.sort()).toEqual(['2024-05-01T14.db', '2024-05-01T15.db']);
    expect(dbIds(path.join(traceDir(AGENT), '2024-05-01T14.db'))).toEqual([late.id]);
    expect(dbIds(path.join(traceDir(AGENT), '2024-05-01T15.db'))).toEqual([next.id]);
    expect(hourKeyOf(T14 + 3_599_999)).toBe('2024-05-01T14');
  });

  it('is committed (0600 file, 0700 folder) once append resolves, and only then published, in record order', async () => {
    const events = Array.from({ length: 20 }, (_, i) => event({ created_at: T14 + 1000 - i }));
    const done = recorder.append(events);
    expect(recorded).toEqual([]);
    await done;
    const file = path.join(traceDir(AGENT), '2024-05-01T14.db');
    // The file holds them in record order (not created_at order), and reads give back the full events.
    expect(dbIds(file)).toEqual(events.map((e) => e.id));
    expect((await q({ agent_id: AGENT, order: 'desc' })).events).toEqual(events);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(traceDir(AGENT)).mode & 0o777).toBe(0o700);
    expect(recorded.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('writes record() calls within the batch window without being waited on', async () => {
    const e = event({ created_at: T14 + 5 });
    recorder.record(e);
    // Queued events already answer queries, before they reach the file.
    expect((await q({ agent_id: AGENT })).events.map((x) => x.id)).toEqual([e.id]);
    await recorder.flush();
    expect(dbIds(path.join(traceDir(AGENT), '2024-05-01T14.db'))).toEqual([e.id]);
  });

  it('answers in created_at order and drops duplicate ids (a runtime retrying a written batch)', async () => {
    const a = event({ created_at: T14 + 30 });
    const b = event({ created_at: T14 + 10, kind: 'message_out', payload: { text: 'hi' } });
    await recorder.append([a, b]);
    await recorder.append([a]);
    expect(dbIds(path.join(traceDir(AGENT), '2024-05-01T14.db'))).toHaveLength(2);
    const page = await q({ agent_id: AGENT });
    expect(page.events.map((e) => e.id)).toEqual([b.id, a.id]);
    expect(page.next_cursor).toBeNull();
    expect((await q({ agent_id: AGENT, order: 'desc' })).events.map((e) => e.id)).toEqual([a.id, b.id]);
  });

  it('pages with a cursor across hour files in both orders, without gaps or repeats', async () => {
    const events = Array.from({ length: 25 }, (_, i) =>
      event({ created_at: T14 + i * 10 * 60_000, trace_id: `turn-${i % 3}` }),
    );
    await recorder.append(events);
    expect(fs.readdirSync(traceDir(AGENT)).filter((f) => f.endsWith('.db'))).toHaveLength(5);
    for (const order of ['asc', 'desc'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await q({ agent_id: AGENT, order, limit: 10, ...(cursor ? { cursor } : {}) });
        seen.push(...page.events.map((e) => e.id));
        cursor = page.next_cursor ?? undefined;
        pages++;
      } while (cursor);
      const expected = events.map((e) => e.id);
      expect(seen).toEqual(order === 'asc' ? expected : [...expected].reverse());
      expect(pages).toBe(3);
    }
    const first = await q({ agent_id: AGENT, limit: 10 });
    await expect(
      q({ agent_id: AGENT, limit: 10, kinds: ['error'], cursor: first.next_cursor! }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/cursor/) as string });
    await expect(q({ agent_id: AGENT, cursor: 'garbage' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('filters by time range, kinds, thread and trace, and merges agents when none is named', async () => {
    const mine = [
      event({ created_at: T14 + 1 }),
      event({ created_at: T14 + 2, kind: 'error', error: 'x', payload: { message: 'x' }, trace_id: 't2' }),
      event({ created_at: T14 + 3, thread_id: 'thread-2' }),
    ];
    const theirs = event({ created_at: T14 + 4, agent_id: OTHER });
    await recorder.append([...mine, theirs]);
    const ids = async (input: TraceQueryInput) => (await q(input)).events.map((e) => e.id);
    expect(await ids({ agent_id: AGENT, kinds: ['error'] })).toEqual([mine[1]!.id]);
    expect(await ids({ agent_id: AGENT, thread_id: 'thread-2' })).toEqual([mine[2]!.id]);
    expect(await ids({ agent_id: AGENT, trace_id: 't2' })).toEqual([mine[1]!.id]);
    expect(await ids({ agent_id: AGENT, since: T14 + 2, until: T14 + 3 })).toEqual([mine[1]!.id]);
    expect(await ids({})).toEqual([...mine, theirs].map((e) => e.id));
    expect(await ids({ agent_id: OTHER })).toEqual([theirs.id]);
  });

  it('reads JSONL hour files written by the issue-6 recorder with the SQLite ones, skipping a torn last line', async () => {
    const e = event({ created_at: T14 + 1 });
    await recorder.append([e]);
    const old = event({
      created_at: T14 - 5 * 60_000,
      kind: 'message_out',
      payload: { text: 'from before' },
    });
    const older = event({ created_at: T14 - 2 * 3_600_000 });
    fs.writeFileSync(path.join(traceDir(AGENT), '2024-05-01T13.jsonl'), JSON.stringify(old) + '\n');
    fs.writeFileSync(
      path.join(traceDir(AGENT), '2024-05-01T12.jsonl'),
      JSON.stringify(older) + '\n{"id":"half',
    );
    fs.appendFileSync(path.join(traceDir(AGENT), '2024-05-01T14.jsonl'), JSON.stringify(e) + '\n{"id":"half');
    expect((await q({ agent_id: AGENT })).events.map((x) => x.id)).toEqual([older.id, old.id, e.id]);
    expect(lines(path.join(traceDir(AGENT), '2024-05-01T13.jsonl'))).toEqual([old]);
  });

  it('finds events by text in their payload, case-insensitively, in SQLite and JSONL alike', async () => {
    const a = event({ created_at: T14 + 1, payload: { from: 'user', text: 'Deploy the "Blue" build' } });
    const b = event({
      created_at: T14 + 2,
      kind: 'tool_call',
      payload: { name: 'shell', arguments: '{"command":"ls /srv/blue"}' },
    });
    const c = event({ created_at: T14 + 3, payload: { from: 'user', text: 'nothing here' } });
    await recorder.append([a, b]);
    fs.writeFileSync(path.join(traceDir(AGENT), '2024-05-01T14.jsonl'), JSON.stringify(c) + '\n');
    const ids = async (input: TraceQueryInput) => (await q(input)).events.map((e) => e.id);
    expect(await ids({ agent_id: AGENT, text: 'BLUE' })).toEqual([a.id, b.id]);
    expect(await ids({ agent_id: AGENT, text: '"Blue"' })).toEqual([a.id]);
    expect(await ids({ agent_id: AGENT, text: 'nothing' })).toEqual([c.id]);
    expect(await ids({ agent_id: AGENT, text: 'blue', kinds: ['tool_call'] })).toEqual([b.id]);
    expect(TraceQuery.safeParse({ text: '' }).success).toBe(false);
  });

  it('drops events of an agent whose folder is gone and never re-creates the folder', async () => {
    fs.rmSync(path.join(data, 'agents', OTHER), { recursive: true });
    await recorder.append([event({ created_at: T14, agent_id: OTHER })]);
    expect(fs.existsSync(path.join(data, 'agents', OTHER))).toBe(false);
    expect(recorded).toEqual([]);
  });

  it('refuses an event that is not an envelope v1, naming the field', () => {
    expect(() => recorder.record({ ...event({ created_at: T14 }), created_at: 1_714_000_000 })).toThrow(
      /created_at.*not seconds/,
    );
    expect(() => recorder.record({ ...event({ created_at: T14 }), kind: 'tool_call' })).toThrow(
      InvalidTraceEventError,
    );
    const big = 'x'.repeat(64 * 1024 + 1);
    expect(() =>
      recorder.record(
        event({
          created_at: T14,
          kind: 'tool_result',
          payload: { name: 'shell', output: big, exit_code: 0, size: big.length, truncated: false },
        }),
      ),
    ).toThrow(/output/);
  });
});
