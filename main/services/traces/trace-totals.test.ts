// Daily totals on real hour files written by the real recorder: the day's bounds, sums, errors, prices, SQLite and JSONL fallbacks counted once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../contract/errors';
import { TraceTotalsQuery, traceEvent } from '../../../contract/traces';
import type { TraceEvent, TraceTotalsQueryInput } from '../../../contract/traces';
import { tracesHandlers } from '../../api/traces';
import { TraceDayTotals } from './trace-totals';
import { TraceRecorder } from './trace-recorder';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const GONE = '33333333-3333-4333-8333-333333333333';
/** 2024-05-01T00:00:00Z */
const DAY = Date.UTC(2024, 4, 1);
const HOUR = 3_600_000;

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
    ...traceEvent('llm_call', {
      agent_id: A,
      provider: 'scripted',
      model: 'scripted/gpt-test-mini',
      duration_ms: 120,
      tokens_in: 200,
      tokens_out: 50,
      cost_usd: 0.001,
      payload: { path: '/v1/chat/completions', stream: true, status: 200, ttft_ms: 40 },
    }),
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
  clock = DAY + 15 * HOUR;
  recorder = new TraceRecorder({
    traceDirOf,
    allTraceDirs: () => [A, B].map(traceDir),
    log: pino({ level: 'silent' }),
    batchMs: 1,
    now: () => clock,
    maintenanceMs: 0,
  });
  totals = new TraceDayTotals({ recorder, liveAgentIds: () => [A, B], now: () => clock });
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

  it('leaves out the calls that only listed the models: an agent that asked no model has no model call', async () => {
    const listing = { tokens_in: null, tokens_out: null, cost_usd: null, provider: null, model: null };
    await recorder.append([
      call({
        created_at: clock - 3000,
        ...listing,
        payload: { path: '/v1/models', stream: false, status: 200, ttft_ms: null },
      }),
      call({
        created_at: clock - 2000,
        ...listing,
        payload: {
          path: '/v1/agentdesk/models/scripted%2Fgpt-test-mini',
          stream: false,
          status: 200,
          ttft_ms: null,
        },
      }),
      call({ created_at: clock - 1000, agent_id: B }),
    ]);
    // Through the JSONL fallback too (an hour whose SQLite file could not be written).
    fs.appendFileSync(
      hourFile(A, 14),
      JSON.stringify(
        call({
          created_at: DAY + 14 * HOUR,
          ...listing,
          payload: { path: '/v1/models', stream: false, status: 200, ttft_ms: null },
        }),
      ) + '\n',
    );
    const r = await run();
    expect(r.totals.find((t) => t.agent_id === A)).toMatchObject({ calls: 0, errors: 0 });
    expect(r.totals.find((t) => t.agent_id === B)).toMatchObject({ calls: 1 });
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

  it('counts the JSONL fallbacks (issue 6 files, SQLite failures, late events) with the SQLite rows, each event once', async () => {
    const first = call({ created_at: DAY + 15 * HOUR });
    await recorder.append([first]);
    const legacy = call({ created_at: DAY + 15 * HOUR + 5, tokens_out: 1 });
    // A `.jsonl` beside the `.db` (written by the JSONL-only store before SQLite, or by a SQLite failure),
    // with a torn last line.
    fs.writeFileSync(hourFile(A, 15), JSON.stringify(legacy) + '\n' + JSON.stringify(first) + '\n{"id":"to');
    expect(await of(A)).toMatchObject({ calls: 2, tokens_out: 51 });
    fs.writeFileSync(path.join(traceDir(A), '2024-05-01T15.late.jsonl'), JSON.stringify(legacy) + '\n');
    expect(await of(A)).toMatchObject({ calls: 2, tokens_out: 51 });
    fs.rmSync(traceDir(A), { recursive: true });
    expect(await of(A)).toMatchObject({ calls: 0, tokens_in: 0 });
  });

  it('keeps totalling an hour after it is sealed, and counts late events of that hour', async () => {
    await recorder.append([call({ created_at: DAY + 9 * HOUR })]);
    clock = DAY + 13 * HOUR;
    expect(await recorder.maintain()).toMatchObject({ sealed: 1 });
    expect(fs.existsSync(path.join(traceDir(A), '2024-05-01T09.sealed'))).toBe(true);
    await recorder.append([call({ created_at: DAY + 9 * HOUR + 1, tokens_in: 1 })]);
    expect(fs.existsSync(path.join(traceDir(A), '2024-05-01T09.late.jsonl'))).toBe(true);
    expect(await of(A)).toMatchObject({ calls: 2, tokens_in: 201 });
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
