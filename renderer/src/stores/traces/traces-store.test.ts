// Unit tests of the traces store against a fake core: newest page, paging back, live events, filters, follow mode, grouping by turn.
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../../../contract/traces';
import { createFakeCore, sampleAgent, sampleTraceEvent } from '../../test/fake-client';
import { createTracesStore, filterEvents, groupByTrace, mergeEvents, summaryOf, toJsonl } from './index';

const AGENT = sampleAgent().id;
const NOW = 1_700_000_000_000;
const ev = (n: number, over: Partial<TraceEvent> = {}) =>
  sampleTraceEvent({ id: `e${n}`, created_at: NOW - 100_000 + n, ...over });

function setup(pages: Record<string, { events: TraceEvent[]; next_cursor: string | null }>) {
  const core = createFakeCore();
  core.handle('traces.list', (input) => pages[(input as { cursor?: string }).cursor ?? 'first']);
  const store = createTracesStore(
    () => core.client,
    () => NOW,
  );
  return { core, store };
}

describe('traces store', () => {
  it('loads the newest page of the agent, shows it oldest first, and pages back with the cursor', async () => {
    const { core, store } = setup({
      first: { events: [ev(4), ev(3)], next_cursor: 'c1' },
      c1: { events: [ev(2), ev(1)], next_cursor: null },
    });
    await store.getState().open(AGENT);
    expect(core.calls.at(-1)).toEqual({
      channel: 'traces.list',
      input: { order: 'desc', limit: 500, agent_id: AGENT },
    });
    expect(store.getState().events.map((e) => e.id)).toEqual(['e3', 'e4']);
    expect(store.getState().olderCursor).toBe('c1');
    await store.getState().loadOlder();
    expect(core.calls.at(-1)?.input).toMatchObject({ cursor: 'c1', agent_id: AGENT });
    expect(store.getState().events.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(store.getState().olderCursor).toBeNull();
    await store.getState().loadOlder();
    expect(core.calls.filter((c) => c.channel === 'traces.list')).toHaveLength(2);
  });

  it('drops a purged agent’s events, and leaves its view for every agent’s', async () => {
    const other = 'b0000000-0000-4000-8000-000000000002';
    const { core, store } = setup({
      first: { events: [ev(2, { agent_id: other }), ev(1)], next_cursor: null },
    });
    await store.getState().open(null);
    expect(store.getState().events.map((e) => e.id)).toEqual(['e1', 'e2']);
    store.getState().keepAgents([AGENT, other]);
    expect(store.getState().events.map((e) => e.id)).toEqual(['e1', 'e2']);
    store.getState().keepAgents([other]);
    expect(store.getState().events.map((e) => e.id)).toEqual(['e2']);
    await store.getState().open(AGENT);
    store.getState().keepAgents([other]);
    await Promise.resolve();
    expect(store.getState().agentId).toBeNull();
    expect(core.calls.at(-1)?.input).not.toHaveProperty('agent_id');
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

  it('sends the time range and thread to the core, and keeps older or other-thread live events out', async () => {
    const { core, store } = setup({ first: { events: [], next_cursor: null } });
    store.getState().follow();
    await store.getState().open(AGENT);
    await store.getState().setRange(3_600_000);
    await store.getState().setThread('thread-9');
    expect(core.calls.at(-1)?.input).toEqual({
      order: 'desc',
      limit: 500,
      agent_id: AGENT,
      since: NOW - 3_600_000,
      thread_id: 'thread-9',
    });
    core.emit('traces.event', ev(1, { thread_id: 'thread-9', created_at: NOW - 7_200_000 }));
    core.emit('traces.event', ev(2, { thread_id: 'thread-1', created_at: NOW }));
    core.emit('traces.event', ev(3, { thread_id: 'thread-9', created_at: NOW }));
    expect(store.getState().events.map((e) => e.id)).toEqual(['e3']);
    await store.getState().setThread(null);
    expect(core.calls.at(-1)?.input).not.toHaveProperty('thread_id');
  });

  it('filters by text: asks the core, and matches live events by payload the same way', async () => {
    const { core, store } = setup({ first: { events: [], next_cursor: null } });
    store.getState().follow();
    await store.getState().open(AGENT);
    await store.getState().setText('  Disk FULL ');
    expect(core.calls.at(-1)?.input).toMatchObject({ text: 'Disk FULL' });
    const result = (n: number, output: string) =>
      ev(n, {
        kind: 'tool_result',
        payload: { name: 'shell', output, exit_code: 1, size: output.length, truncated: false },
      });
    core.emit('traces.event', result(1, 'error: disk full'));
    core.emit('traces.event', result(2, 'all good'));
    core.emit('traces.event', ev(3, { model: 'disk full model' }));
    expect(store.getState().events.map((e) => e.id)).toEqual(['e1']);
    const s = store.getState();
    expect(filterEvents([result(4, 'DISK FULL'), result(5, 'disk')], s).map((e) => e.id)).toEqual(['e4']);
    await store.getState().setText('  ');
    expect(core.calls.at(-1)?.input).not.toHaveProperty('text');
  });

  it('follow mode: counts new events only while not at the bottom, and clears them at the bottom', async () => {
    const { core, store } = setup({ first: { events: [ev(1)], next_cursor: null } });
    store.getState().follow();
    await store.getState().open(AGENT);
    core.emit('traces.event', ev(2));
    expect(store.getState().newCount).toBe(0);
    store.getState().setAtBottom(false);
    core.emit('traces.event', ev(3));
    core.emit('traces.event', ev(3));
    core.emit('traces.event', ev(4));
    expect(store.getState().newCount).toBe(2);
    store.getState().setAtBottom(true);
    expect(store.getState().newCount).toBe(0);
    expect(store.getState().events).toHaveLength(4);
  });

  it('drops a late page of a view that was left', async () => {
    const core = createFakeCore();
    let release: (v: unknown) => void = () => {};
    core.handle('traces.list', (input) =>
      (input as { agent_id?: string }).agent_id
        ? new Promise((r) => (release = r))
        : { events: [ev(9, { agent_id: 'other' })], next_cursor: null },
    );
    const store = createTracesStore(() => core.client);
    const first = store.getState().open(AGENT);
    await store.getState().open(null);
    release({ events: [ev(1)], next_cursor: 'late' });
    await first;
    expect(store.getState().events.map((e) => e.id)).toEqual(['e9']);
    expect(store.getState().olderCursor).toBeNull();
  });

  it('merges 100,000 events and inserts a live one in order, replacing a copy with the same id', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => ev(i * 2));
    const merged = mergeEvents([], many);
    expect(merged).toHaveLength(100_000);
    const late = mergeEvents(merged, [ev(5), ev(4, { error: 'boom' })]);
    expect(late).toHaveLength(100_001);
    expect(late.slice(2, 5).map((e) => e.id)).toEqual(['e4', 'e5', 'e6']);
    expect(late[2]!.error).toBe('boom');
  });
});

describe('grouping by turn', () => {
  it('groups a turn by trace_id with its title and totals, nests tool_result under its tool_call, the reply last', () => {
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
      ev(4, { kind: 'tool_call', payload: { name: 'shell', arguments: '{"command":"ls"}' } }),
      ev(5, {
        kind: 'llm_call',
        payload: { path: '/v1/chat/completions', stream: true, status: 200, ttft_ms: 5 },
      }),
      ev(6, {
        kind: 'tool_result',
        parent_id: 'e4',
        payload: { name: 'shell', output: 'a', exit_code: 0, size: 1, truncated: false },
      }),
      ev(7, { kind: 'message_out', parent_id: 'e2', duration_ms: 1500, payload: { text: 'Hello' } }),
    ]);
    expect(groups.map((g) => [g.trace_id, g.events.length, g.title])).toEqual([
      [null, 1, 'verifying → running'],
      ['turn-1', 6, 'Run it #tool=shell'],
    ]);
    expect(groups[1]).toMatchObject({ tokens_in: 30, tokens_out: 7, duration_ms: 1500, errors: 0 });
    expect(groups[1]!.rows.map((r) => [r.event.id, r.depth])).toEqual([
      ['e2', 0],
      ['e3', 0],
      ['e4', 0],
      ['e6', 1],
      ['e5', 0],
      ['e7', 0],
    ]);
    expect(summaryOf(groups[1]!.events[1]!)).toBe(
      'scripted/gpt-test-mini · HTTP 200 · 30 in · 7 out · $0.0001 · 40 ms · first token 5 ms · 200 tok/s',
    );
  });

  it('keeps events of a parent_id cycle instead of losing them', () => {
    const groups = groupByTrace([ev(1, { parent_id: 'e2' }), ev(2, { parent_id: 'e1' })]);
    expect(groups[0]!.events.map((e) => e.id).sort()).toEqual(['e1', 'e2']);
  });

  it('exports JSONL: one envelope per line that parses back to the same events', () => {
    const events = [ev(1), ev(2, { kind: 'message_out', payload: { text: 'line1\nline2' } })];
    const text = toJsonl(events);
    expect(text.split('\n')).toHaveLength(3);
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(events);
    expect(toJsonl([])).toBe('');
  });
});
