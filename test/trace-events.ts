// Test helper: trace events (envelope v1) with sensible defaults, for the trace store's tests.
import crypto from 'node:crypto';
import type { TraceEvent } from '../contract/traces';

/**
 * A `message_in` event of agent `agentId` created at `createdAt` (UTC ms) in turn `turn-1` of
 * `thread-1`, with a fresh id; `over` replaces any field (a different kind needs its payload too).
 */
export function traceEvent(agentId: string, createdAt: number, over: Partial<TraceEvent> = {}): TraceEvent {
  return {
    v: 1,
    id: crypto.randomUUID(),
    trace_id: 'turn-1',
    parent_id: null,
    created_at: createdAt,
    agent_id: agentId,
    kind: 'message_in',
    channel_id: 'chat',
    thread_id: 'thread-1',
    provider: null,
    model: null,
    duration_ms: null,
    tokens_in: null,
    tokens_out: null,
    cost_usd: null,
    error: null,
    payload: { from: 'user', text: 'hello' },
    ...over,
  } as TraceEvent;
}
