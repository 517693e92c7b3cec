// The one trace event factory: what it fills in, and that what it makes is what the schema accepts.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { TraceEvent, traceEvent } from './traces';
import type { TraceEventOf } from './traces';

describe('traceEvent()', () => {
  it('fills every envelope field the caller leaves out with its neutral value, and the schema accepts it', () => {
    const before = Date.now();
    const e = traceEvent('tool_call', { agent_id: 'a1', payload: { name: 'shell', arguments: '{}' } });
    expect(TraceEvent.parse(e)).toEqual(e);
    expect(e).toMatchObject({ v: 1, kind: 'tool_call', agent_id: 'a1', trace_id: null, parent_id: null });
    for (const k of [
      'channel_id',
      'thread_id',
      'provider',
      'model',
      'duration_ms',
      'tokens_in',
      'tokens_out',
      'cost_usd',
      'error',
    ] as const)
      expect(e[k], k).toBeNull();
    expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.created_at).toBeGreaterThanOrEqual(before);
    expect(traceEvent('tool_call', { agent_id: 'a1', payload: e.payload }).id).not.toBe(e.id);
    expectTypeOf(e).toEqualTypeOf<TraceEventOf<'tool_call'>>();
  });

  it('keeps every field the caller gives, zero and empty string included', () => {
    const e = traceEvent('llm_call', {
      id: 'e1',
      agent_id: 'a1',
      created_at: Date.UTC(2026, 0, 1),
      duration_ms: 0,
      tokens_in: 0,
      cost_usd: 0,
      channel_id: '',
      payload: { path: '/v1/chat/completions', stream: false, status: 200, ttft_ms: null },
    });
    expect(e).toMatchObject({
      id: 'e1',
      created_at: Date.UTC(2026, 0, 1),
      duration_ms: 0,
      tokens_in: 0,
      cost_usd: 0,
      channel_id: '',
    });
    expect(TraceEvent.safeParse(e).error?.issues ?? []).toEqual([]);
  });
});
