// Trace events the chat relay records for a turn: message_in, message_out and relay-side errors (channel `chat`).
import crypto from 'node:crypto';
import type { Agent } from '../../../contract/agents';
import type { TraceEvent } from '../../../contract/traces';

/** One chat turn as the relay knows it: the agent, the thread, when the message was sent (UTC ms) and its message_in id. */
export interface ChatTurn {
  agent: Pick<Agent, 'id' | 'model'>;
  threadId: string;
  sentAt: number;
  inId: string;
}

const envelope = (c: ChatTurn, traceId: string) => ({
  v: 1 as const,
  trace_id: traceId,
  agent_id: c.agent.id,
  channel_id: 'chat',
  thread_id: c.threadId,
  tokens_in: null,
  tokens_out: null,
  cost_usd: null,
});

/** The `message_in` event of the user's message (created when it was sent). */
export function messageIn(c: ChatTurn, traceId: string, text: string): TraceEvent {
  return {
    ...envelope(c, traceId),
    id: c.inId,
    parent_id: null,
    created_at: c.sentAt,
    kind: 'message_in',
    provider: null,
    model: null,
    duration_ms: null,
    error: null,
    payload: { from: 'user', text },
  };
}

/** The `message_out` event of the reply, child of the message_in, with the turn's duration. */
export function messageOut(c: ChatTurn, traceId: string, text: string, at: number): TraceEvent {
  return {
    ...envelope(c, traceId),
    id: crypto.randomUUID(),
    parent_id: c.inId,
    created_at: at,
    kind: 'message_out',
    provider: c.agent.model.split('/')[0] ?? null,
    model: c.agent.model,
    duration_ms: Math.max(0, at - c.sentAt),
    error: null,
    payload: { text },
  };
}

/** An `error` event of a turn that failed where only the relay could see it (connection, HTTP status, silence). */
export function errorEvent(c: ChatTurn, traceId: string, message: string, at: number): TraceEvent {
  return {
    ...envelope(c, traceId),
    id: crypto.randomUUID(),
    parent_id: c.inId,
    created_at: at,
    kind: 'error',
    provider: null,
    model: null,
    duration_ms: Math.max(0, at - c.sentAt),
    error: message,
    payload: { message },
  };
}
