// Trace events the chat relay records for a turn: message_in, message_out and relay-side errors (channel `chat`).
import type { Agent } from '../../../contract/agents';
import { traceEvent } from '../../../contract/traces';
import type { TraceEvent } from '../../../contract/traces';

/** One chat turn as the relay knows it: the agent, the thread, when the message was sent (UTC ms) and its message_in id. */
export interface ChatTurn {
  agent: Pick<Agent, 'id' | 'model'>;
  threadId: string;
  sentAt: number;
  inId: string;
}

/** The fields every event of a chat turn shares. */
const turnFields = (c: ChatTurn, traceId: string) => ({
  trace_id: traceId,
  agent_id: c.agent.id,
  channel_id: 'chat',
  thread_id: c.threadId,
});

/** The `message_in` event of the user's message (created when it was sent). */
export function messageIn(c: ChatTurn, traceId: string, text: string): TraceEvent {
  return traceEvent('message_in', {
    ...turnFields(c, traceId),
    id: c.inId,
    created_at: c.sentAt,
    payload: { from: 'user', text },
  });
}

/** The `message_out` event of the reply, child of the message_in, with the turn's duration. */
export function messageOut(c: ChatTurn, traceId: string, text: string, at: number): TraceEvent {
  return traceEvent('message_out', {
    ...turnFields(c, traceId),
    parent_id: c.inId,
    created_at: at,
    provider: c.agent.model.split('/')[0] ?? null,
    model: c.agent.model,
    duration_ms: Math.max(0, at - c.sentAt),
    payload: { text },
  });
}

/** An `error` event of a turn that failed where only the relay could see it (connection, HTTP status, silence). */
export function errorEvent(c: ChatTurn, traceId: string, message: string, at: number): TraceEvent {
  return traceEvent('error', {
    ...turnFields(c, traceId),
    parent_id: c.inId,
    created_at: at,
    duration_ms: Math.max(0, at - c.sentAt),
    error: message,
    payload: { message },
  });
}
