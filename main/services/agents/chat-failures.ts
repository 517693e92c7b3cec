// Failed chat turns read back from the agent's trace: a turn whose message_in has an error and no message_out, placed among the stored thread's messages.
import type { z } from 'zod';
import type { AgentFailedTurn } from '../../../contract/agents';
import type { TraceEvent } from '../../../contract/traces';

/** One failed turn of a thread (see contract/agents.ts `AgentFailedTurn`). */
export type FailedTurn = z.infer<typeof AgentFailedTurn>;

/** A thread known only from the trace: its id, the newest of its chat events (UTC ms), its first message. */
export interface TracedThread {
  thread_id: string;
  updated_at: number;
  first: string;
  /** Whether one of its turns failed (no reply, an error). */
  failed: boolean;
}

/** A turn as its chat events tell it. */
interface TracedTurn {
  turnId: string;
  threadId: string;
  text: string;
  at: number;
  replied: boolean;
  error: { message: string; source: 'relay' | 'runtime'; at: number } | null;
}

/**
 * The turns of `events` (message_in, message_out and error events of one agent, any order): one per
 * `message_in` the chat relay recorded (channel `chat`, from the user), oldest first. Error events
 * without such a message_in (a tool's error, a forged trace id) are ignored; a turn's error is its
 * last error event.
 */
function turnsOf(events: readonly TraceEvent[]): TracedTurn[] {
  const turns = new Map<string, TracedTurn>();
  for (const e of events)
    if (
      e.kind === 'message_in' &&
      e.trace_id !== null &&
      e.channel_id === 'chat' &&
      e.thread_id !== null &&
      e.payload.from === 'user' &&
      !turns.has(e.trace_id)
    )
      turns.set(e.trace_id, {
        turnId: e.trace_id,
        threadId: e.thread_id,
        text: e.payload.text,
        at: e.created_at,
        replied: false,
        error: null,
      });
  const sorted = [...events].sort((a, b) => a.created_at - b.created_at);
  for (const e of sorted) {
    const t = e.trace_id === null ? undefined : turns.get(e.trace_id);
    if (!t || (e.thread_id !== null && e.thread_id !== t.threadId)) continue;
    if (e.kind === 'message_out') t.replied = true;
    if (e.kind === 'error') {
      const message = e.payload.message || e.error || 'The turn failed';
      // The relay's own errors hang under the turn's message_in; the runtime's have no parent.
      const source = e.parent_id !== null ? 'relay' : 'runtime';
      t.error = { message, source, at: e.created_at };
    }
  }
  return [...turns.values()].sort((a, b) => a.at - b.at);
}

/**
 * The failed turns of thread `threadId` among `events` (its chat events), oldest first, each placed
 * among `stored` (the thread's stored messages, OpenAI format): the turns are walked in order beside
 * the stored user messages, a turn whose text is the next stored user message being the one the
 * runtime stored. `running` = the id of the thread's turn still running (never reported as failed).
 */
export function failedTurnsOf(
  events: readonly TraceEvent[],
  threadId: string,
  stored: readonly Record<string, unknown>[],
  running: string | null = null,
): FailedTurn[] {
  const users = stored
    .filter((m) => m.role === 'user' && typeof m.content === 'string')
    .map((m) => (m.content as string).trim());
  const out: FailedTurn[] = [];
  let next = 0;
  for (const t of turnsOf(events)) {
    if (t.threadId !== threadId) continue;
    const inThread = next < users.length && users[next] === t.text.trim();
    if (inThread) next += 1;
    if (t.replied || !t.error || t.turnId === running) continue;
    out.push({
      turn_id: t.turnId,
      text: t.text,
      message: t.error.message,
      source: t.error.source,
      at: t.error.at,
      anchor: next,
      in_thread: inThread,
    });
  }
  return out;
}

/** The threads of `events` (an agent's chat events), newest first, with their first message and whether a turn failed. */
export function tracedThreadsOf(events: readonly TraceEvent[]): TracedThread[] {
  const threads = new Map<string, TracedThread>();
  for (const t of turnsOf(events)) {
    const at = Math.max(t.at, t.error?.at ?? 0);
    const failed = !t.replied && t.error !== null;
    const seen = threads.get(t.threadId);
    if (!seen) threads.set(t.threadId, { thread_id: t.threadId, updated_at: at, first: t.text, failed });
    else {
      seen.updated_at = Math.max(seen.updated_at, at);
      seen.failed ||= failed;
    }
  }
  return [...threads.values()].sort((a, b) => b.updated_at - a.updated_at);
}
