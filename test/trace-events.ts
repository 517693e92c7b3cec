// Test helper: trace events (envelope v1) with sensible defaults, for the trace store's tests.
import { traceEvent as makeEvent } from '../contract/traces';
import type { TraceEvent } from '../contract/traces';

/**
 * A `message_in` event of agent `agentId` created at `createdAt` (UTC ms) in turn `turn-1` of
 * `thread-1`, with a fresh id; `over` replaces any field (a different kind needs its payload too).
 */
export function traceEvent(agentId: string, createdAt: number, over: Partial<TraceEvent> = {}): TraceEvent {
  return {
    ...makeEvent('message_in', {
      agent_id: agentId,
      created_at: createdAt,
      trace_id: 'turn-1',
      channel_id: 'chat',
      thread_id: 'thread-1',
      payload: { from: 'user', text: 'hello' },
    }),
    ...over,
  } as TraceEvent;
}
