// Daily totals on real hour files written by the real recorder: the day's bounds, sums, errors, prices, cache and growth.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../contract/errors';
import { TraceTotalsQuery } from '../../../contract/traces';
import type { TraceEvent, TraceTotalsQueryInput } from '../../../contract/traces';
import { tracesHandlers } from '../../api/traces';
import { CACHE_IDLE_MS, TraceDayTotals } from './trace-totals';
import { TraceRecorder } from './trace-recorder';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const GONE = '33333333-3333-4333-8333-333333333333';
/** 2024-05-01T00:00:00Z */
const DAY = Date.UTC(2024, 4, 1);
const HOUR = 3_600_000;
/** A whole-second mtime (s) that utimes can set back exactly. */
const MTIME = DAY / 1000 + 10 * 3600;

let data: string;
let recorder: TraceRecorder;
let totals: TraceDayTotals;
let clock: number;

const traceDir = (agent: string) => path.join(data, 'agents', agent, 'trace');
const hourFile = (agent: string, hour: number) =>
  path.join(traceDir(agent), `2024-05-01T${String(hour).padStart(2, '0')}.jsonl`);

/** An `llm_call` of agent A (200 tokens in, 50 out, $0.001) unless overridden. */
function call(over: Partial<TraceEvent> & { created_at: number }): TraceEvent {
  return {
    v: 1,
    id: crypto.randomUUID(),
    trace_id: null,
    parent_id: null,
    agent_id: A,
    kind: 'llm_call',
    channel_id: null,
    thread_id: null,
    provider: 'scripted',
    model: 'scripted/gpt-test-mini',
    duration_ms: 120,
    tokens_in: 200,
    tokens_out: 50,
    cost_usd: 0.001,
    error: null,
    payload: { path: '/v1/chat/completions', stream: true, status: 200, ttft_ms: 40 },
    ...over,
  } as TraceEvent;
}

const run = (input: TraceTotalsQueryInput = {}) => totals.totals(TraceTotalsQuery.parse(input));
const of = async (agent: string, input: TraceTotalsQueryInput = { agent_ids: [agent] }) =>
  (await run(input)).totals.find((t) => t.agent_id === agent);

beforeEach(() => {
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'agentdesk-test-totals-'));
  for (const a of [A, B]) fs.mkdirSync(path.join(data, 'agents', a), { recursive: true });
  const traceDirOf = (id: string) => (fs.existsSync(path.join(data, 'agents', id)) ? traceDir(id) : null);
  recorder = new TraceRecorder({
    traceDirOf,
    allTraceDirs: () => [A, B].map(traceDir),
    log: pino({ level: 'silent' }),
    batchMs: 1,
  });
  clock = DAY + 15 * HOUR;
  totals = new TraceDayTotals({ traceDirOf, liveAgentIds: () => [A, B], now: () => clock });
});

afterEach(async () => {
  await recorder.close();
  fs.rmSync(data, { recursive: true, force: true });
});

describe('TraceDayTotals', () => {
  it('sums the llm_calls of the UTC day only: tokens, cost, calls, errors; other kinds and days do not count', async () => {
    await recorder.append([
      call({ created_at: DAY - 1 }), // 23:59:59.999 the day before
      call({ created_at: DAY }),
      call({ created_at: DAY + 14 * HOUR, tokens_in: 1000, tokens_out: 234, cost_usd: 0.0042 }),
      call({
        created_at: DAY + 14 * HOUR + 1,
        error: 'HTTP 502 from LiteLLM',
        tokens_in: null,
        tokens_out: null,
        cost_usd: null,
      }),
      call({ created_at: DAY + 24 * HOUR - 1 }),
      call({ created_at: DAY + 24 * HOUR }), // next day
      { ...call({ created_at: DAY + 3 * HOUR }), kind: 'message_in', payload: { from: 'user', text: 'hi' } },
      call({ created_at: DAY + 5 * HOUR, agent_id: B, tokens_in: 7, tokens_out: 3, cost_usd: null }),
    ]);
    const r = await run({ day: '2024-05-01' });
    expect(r.day).toBe('2024-05-01');
    expect(r.totals[0]?.cost_usd).toBeCloseTo(0.0062, 10);
    expect(r.totals).toEqual([
      { agent_id: A, tokens_in: 1400, tokens_out: 334, cost_usd: r.totals[0]?.cost_usd, calls: 4, errors: 1 },
      // B's only call had no price: the cost is unknown, not $0.
      { agent_id: B, tokens_in: 7, tokens_out: 3, cost_usd: null, calls: 1, errors: 0 },
    ]);
    expect((await run({ day: '2024-04-30' })).totals.map((t) => t.calls)).toEqual([1, 0]);
  });

  it('totals today (UTC) by default, gives zeros to agents without calls or folder, once per id in the order asked', async () => {
    await recorder.append([call({ created_at: clock - 1000 })]);
    expect(await run()).toEqual({
      day: '2024-05-01',
      totals: [
        { agent_id: A, tokens_in: 200, tokens_out: 50, cost_usd: 0.001, calls: 1, errors: 0 },
        { agent_id: B, tokens_in: 0, tokens_out: 0, cost_usd: null, calls: 0, errors: 0 },
      ],
    });
    const named = await run({ agent_ids: [GONE, A, GONE] });
    expect(named.totals.map((t) => [t.agent_id, t.calls])).toEqual([
      [GONE, 0],
      [A, 1],
    ]);
    clock = DAY + 24 * HOUR + 5; // just after midnight UTC: a new day, nothing yet
    expect(await run()).toMatchObject({ day: '2024-05-02', totals: [{ calls: 0 }, { calls: 0 }] });
  });

  it('does not read an unchanged hour again, and reads on when the current hour grows', async () => {
    await recorder.append([call({ created_at: DAY + 9 * HOUR }), call({ created_at: DAY + 15 * HOUR })]);
    fs.utimesSync(hourFile(A, 9), MTIME, MTIME);
    expect((await of(A))?.calls).toBe(2);
    // Same size and mtime: the cached summary stands (a re-read would find no llm_call here).
    const past = hourFile(A, 9);
    fs.writeFileSync(past, 'x'.repeat(fs.statSync(past).size));
    fs.utimesSync(past, MTIME, MTIME);
    expect((await of(A))?.calls).toBe(2);
    // The current hour grows: only the appended bytes are read (the lines already read are not parsed again).
    const current = hourFile(A, 15);
    const before = fs.readFileSync(current, 'utf8');
    fs.writeFileSync(current, before.replace(/"tokens_in":200/, '"tokens_in":900'));
    await recorder.append([call({ created_at: DAY + 15 * HOUR + 10, tokens_in: 1 })]);
    expect(await of(A)).toMatchObject({ calls: 3, tokens_in: 401 });
  });

  it('counts a line being appended only once it is complete, and an event in .jsonl and .late.jsonl once', async () => {
    const first = call({ created_at: DAY + 15 * HOUR });
    await recorder.append([first]);
    const line = JSON.stringify(call({ created_at: DAY + 15 * HOUR + 5, tokens_out: 1 })) + '\n';
    fs.appendFileSync(hourFile(A, 15), line.slice(0, 40));
    expect(await of(A)).toMatchObject({ calls: 1, tokens_out: 50 });
    fs.appendFileSync(hourFile(A, 15), line.slice(40));
    expect(await of(A)).toMatchObject({ calls: 2, tokens_out: 51 });
    fs.writeFileSync(path.join(traceDir(A), '2024-05-01T15.late.jsonl'), JSON.stringify(first) + '\n');
    expect(await of(A)).toMatchObject({ calls: 2, tokens_out: 51 });
  });

  it('reads a replaced file from the start, and forgets a file that vanished', async () => {
    await recorder.append([call({ created_at: DAY + 15 * HOUR }), call({ created_at: DAY + 15 * HOUR + 1 })]);
    expect((await of(A))?.calls).toBe(2);
    const file = hourFile(A, 15);
    const kept = fs.readFileSync(file, 'utf8').split('\n')[0]! + '\n';
    const extra = JSON.stringify(call({ created_at: DAY + 15 * HOUR + 2, tokens_in: 5 })) + '\n';
    fs.rmSync(file);
    fs.writeFileSync(file, kept + extra + extra); // a new file (new inode), larger than before
    expect(await of(A)).toMatchObject({ calls: 2, tokens_in: 205 });
    fs.rmSync(traceDir(A), { recursive: true });
    expect(await of(A)).toMatchObject({ calls: 0, tokens_in: 0 });
  });

  it('drops summaries idle for the cache time, then reads the hour again', async () => {
    await recorder.append([call({ created_at: DAY + 9 * HOUR })]);
    fs.utimesSync(hourFile(A, 9), MTIME, MTIME);
    expect((await of(A))?.calls).toBe(1);
    const past = hourFile(A, 9);
    fs.writeFileSync(past, 'x'.repeat(fs.statSync(past).size));
    fs.utimesSync(past, MTIME, MTIME);
    clock += CACHE_IDLE_MS + 1;
    await run({ agent_ids: [B] }); // any call prunes
    expect((await of(A))?.calls).toBe(0);
  });
});

describe('traces.totals input and handler', () => {
  it('refuses a day that is not YYYY-MM-DD or not in the calendar, and an id that is not an agent id', () => {
    const msg = (input: unknown) => {
      const r = TraceTotalsQuery.safeParse(input);
      return r.success ? 'ok' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    expect(msg({ day: '2024-5-1' })).toBe('day: must be a UTC day written YYYY-MM-DD, e.g. 2024-05-01');
    expect(msg({ day: '2024-02-30' })).toBe('day: is not a calendar day (month 01–12, day within the month)');
    expect(msg({ agent_ids: ['helper'] })).toBe(
      'agent_ids.0: must be an agent id (a UUID, see `agents.list`)',
    );
    expect(msg({ day: '2024-02-29', agent_ids: [A] })).toBe('ok');
  });

  it('answers NOT_FOUND for an unknown agent, and UNAVAILABLE in a core wired without totals', async () => {
    const exists = (id: string) => {
      if (id !== A) throw new AppError('NOT_FOUND', `No agent ${id}`);
    };
    const ctx = { transport: 'internal' } as const;
    const h = tracesHandlers(recorder, exists, totals);
    await expect(Promise.resolve().then(() => h.totals({ agent_ids: [A, GONE] }, ctx))).rejects.toMatchObject(
      {
        code: 'NOT_FOUND',
        message: `No agent ${GONE}`,
      },
    );
    await expect(Promise.resolve(h.totals({ agent_ids: [A] }, ctx))).resolves.toMatchObject({
      totals: [{ agent_id: A, calls: 0 }],
    });
    const unwired = tracesHandlers(recorder, exists);
    expect(() => unwired.totals({}, ctx)).toThrow(/not available/);
  });
});
