// Unit tests of the traces store against a fake core: newest page, live events, older pages, kinds, grouping by turn.
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../../../contract/traces';
import { createFakeCore, sampleAgent, sampleTraceEvent } from '../../test/fake-client';
import { createTracesStore, groupByTrace, summaryOf } from './index';

const AGENT = sampleAgent().id;
const ev = (n: number, over: Partial<TraceEvent> = {}) =>
  sampleTraceEvent({ id: `e${n}`, created_at: 1_000 + n, ...over });

function setup(pages: Record<string, { events: TraceEvent[]; next_cursor: string | null }>) {
  const core = createFakeCore();
  core.handle('traces.list', (input) => pages[(input as { cursor?: string }).cursor ?? 'first']);
  const store = createTracesStore(() => core.client);
  return { core, store };
}

describe('traces store', () => {
  it('loads the newest page of the agent, shows it oldest first, and pages back', async () => {
    const { core, store } = setup({
      first: { events: [ev(4), ev(3)], next_cursor: 'c1' },
      c1: { events: [ev(2), ev(1)], next_cursor: null },
    });
    await store.getState().open(AGENT);
    expect(core.calls.at(-1)).toEqual({
      channel: 'traces.list',
      input: { order: 'desc', limit: 200, agent_id: AGENT },
    });
    expect(store.getState().events.map((e) => e.id)).toEqual(['e3', 'e4']);
    expect(store.getState().olderCursor).toBe('c1');
    await store.getState().loadOlder();
    expect(store.getState().events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(store.getState().olderCursor).toBeNull();
  });

  it('takes live events of its agent and kinds once each, in order', async () => {
    const { core, store } = setup({ first: { events: [ev(1)], next_cursor: null } });
    const off = store.getState().follow();
    await store.getState().open(AGENT);
    core.emit('traces.event', ev(3));
    core.emit('traces.event', ev(2));
    core.emit('traces.event', ev(3));
    core.emit('traces.event', ev(4, { agent_id: 'another-agent' }));
    expect(store.getState().events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    await store.getState().setKinds(['error']);
    expect(core.calls.at(-1)?.input).toMatchObject({ kinds: ['error'] });
    core.emit('traces.event', ev(5));
    expect(store.getState().events.map((e) => e.id)).toEqual(['e1']);
    off();
    expect(core.listenerCount('traces.event')).toBe(0);
  });

  it('groups a turn by trace_id with its title and totals; events outside turns stand alone', () => {
    const groups = groupByTrace([
      ev(1, {
        trace_id: null,
        kind: 'lifecycle',
        payload: { from_phase: 'verifying', to_phase: 'running', reason: null },
      }),
      ev(2, { payload: { from: 'user', text: 'Run   it\n#tool=shell' } }),
      ev(3, {
        kind: 'llm_call',
        model: 'scripted/gpt-test-mini',
        tokens_in: 30,
        tokens_out: 7,
        cost_usd: 0.0001,
        duration_ms: 40,
        payload: { path: '/v1/chat/completions', stream: true, status: 200, ttft_ms: 5 },
      }),
      ev(4, { kind: 'message_out', duration_ms: 1500, payload: { text: 'Hello' } }),
    ]);
    expect(groups.map((g) => [g.trace_id, g.events.length, g.title])).toEqual([
      [null, 1, 'verifying → running'],
      ['turn-1', 3, 'Run it #tool=shell'],
    ]);
    expect(groups[1]).toMatchObject({ tokens_in: 30, tokens_out: 7, duration_ms: 1500, errors: 0 });
    expect(summaryOf(groups[1]!.events[1]!)).toBe(
      'scripted/gpt-test-mini · HTTP 200 · 30 in · 7 out · $0.0001 · 40 ms',
    );
  });
});
