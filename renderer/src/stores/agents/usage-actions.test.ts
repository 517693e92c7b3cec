// Unit tests of today's totals in the Agents store against a fake core: loaded with the list, refreshed on model calls (throttled) and at UTC midnight.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createFakeCore,
  FakeCoreError,
  handleAgents,
  handleTraceTotals,
  sampleAgent,
  sampleDayTotals,
  sampleTraceEvent,
} from '../../test/fake-client';
import { createAgentsStore, USAGE_REFRESH_MS } from './index';
import { msToNextUtcDay } from './usage-actions';

const ID = sampleAgent().id;
/** 2024-05-01T15:00:00Z */
const T15 = Date.UTC(2024, 4, 1, 15);

function setup() {
  const core = createFakeCore();
  handleAgents(core, [sampleAgent()]);
  const totals = handleTraceTotals(core, [
    sampleDayTotals({ tokens_in: 100, tokens_out: 20, cost_usd: 0.001, calls: 1 }),
  ]);
  const store = createAgentsStore(() => core.client);
  return { core, totals, store };
}

const llmCall = (n: number) =>
  sampleTraceEvent({
    id: `call-${n}`,
    created_at: T15 + n,
    kind: 'llm_call',
    payload: { path: '/v1/chat/completions', stream: true, status: 200, ttft_ms: 5 },
  });

/** Lets pending promise callbacks run (fake timers do not touch microtasks). */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T15);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("agents store: today's totals", () => {
  it('loads the totals with the list, by agent id, and keeps a failure apart from the list', async () => {
    const { core, store } = setup();
    await store.getState().load();
    expect(core.calls.find((c) => c.channel === 'traces.totals')?.input).toEqual({});
    expect(store.getState().usage).toEqual({
      totals: { [ID]: sampleDayTotals({ tokens_in: 100, tokens_out: 20, cost_usd: 0.001, calls: 1 }) },
      day: '2024-05-01',
      loaded: true,
      error: null,
    });
    core.handle('traces.totals', () => {
      throw new FakeCoreError({ code: 'UNAVAILABLE', message: 'totals down' });
    });
    await store.getState().load();
    expect(store.getState().loadError).toBeNull();
    expect(store.getState().usage).toMatchObject({ loaded: true, error: { message: 'totals down' } });
    expect(store.getState().usage.totals[ID]?.calls).toBe(1);
  });

  it('refreshes on llm_call events at most once per 2 s, ignoring other kinds, and stops when unfollowed', async () => {
    const { core, totals, store } = setup();
    await store.getState().load();
    const off = store.getState().follow();
    expect(totals.calls()).toBe(1);
    core.emit('traces.event', sampleTraceEvent({ id: 'in-1', created_at: T15 }));
    await vi.advanceTimersByTimeAsync(USAGE_REFRESH_MS);
    expect(totals.calls()).toBe(1); // a message_in does not change the totals
    totals.set([sampleDayTotals({ tokens_in: 300, calls: 2 })]);
    for (let i = 0; i < 10; i++) core.emit('traces.event', llmCall(i));
    await settle();
    expect(totals.calls()).toBe(2); // the first at once: the last call was 2 s ago
    expect(store.getState().usage.totals[ID]?.tokens_in).toBe(300);
    for (let i = 10; i < 20; i++) core.emit('traces.event', llmCall(i));
    await vi.advanceTimersByTimeAsync(USAGE_REFRESH_MS - 1);
    expect(totals.calls()).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(totals.calls()).toBe(3); // the rest of the burst in one call
    core.emit('traces.event', llmCall(99));
    off();
    await vi.advanceTimersByTimeAsync(10 * USAGE_REFRESH_MS);
    expect(totals.calls()).toBe(3);
    expect(core.listenerCount('traces.event')).toBe(0);
  });

  it('never lets an older answer replace a newer one', async () => {
    const { core, store } = setup();
    let release: () => void = () => undefined;
    core.handle(
      'traces.totals',
      () =>
        new Promise((r) => {
          release = () => r({ day: '2024-05-01', totals: [sampleDayTotals({ calls: 1, tokens_in: 1 })] });
        }),
    );
    const slow = store.getState().loadUsage();
    handleTraceTotals(core, [sampleDayTotals({ calls: 5, tokens_in: 5 })]);
    await store.getState().loadUsage();
    release();
    await slow;
    expect(store.getState().usage.totals[ID]?.calls).toBe(5);
  });

  it('refreshes just after UTC midnight, when today starts again', async () => {
    const { totals, store } = setup();
    const off = store.getState().follow();
    expect(msToNextUtcDay(T15)).toBe(9 * 3_600_000 + 1000);
    totals.set([]);
    await vi.advanceTimersByTimeAsync(9 * 3_600_000);
    expect(totals.calls()).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(totals.calls()).toBe(1);
    expect(store.getState().usage.totals).toEqual({});
    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(totals.calls()).toBe(2);
    off();
  });
});
