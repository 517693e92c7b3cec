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

/** Most turns × stored user messages aligned exactly; past it, turns are matched in order (greedy). */
const ALIGN_MAX_CELLS = 4_000_000;

/**
 * Which turns the runtime stored: for each turn of `turns` (oldest first), the index of its stored user
 * message in `users`, or -1. The alignment keeps order and matches equal texts, preferring turns that
 * were answered (the runtime stored them for sure), then failures the runtime reported (it stores the
 * message before calling the model), then failures only the relay saw (the message may never have
 * reached the runtime): a refused message sent again and answered is matched by the answered turn.
 */
function storedIndexes(turns: readonly TracedTurn[], users: readonly string[]): number[] {
  const texts = turns.map((t) => t.text.trim());
  const weight = turns.map((t) => (t.replied ? 3 : t.error?.source === 'runtime' ? 2 : 1));
  const n = turns.length;
  const m = users.length;
  const out = new Array<number>(n).fill(-1);
  if ((n + 1) * (m + 1) > ALIGN_MAX_CELLS) {
    let next = 0;
    for (let i = 0; i < n && next < m; i++) if (texts[i] === users[next]) out[i] = next++;
    return out;
  }
  // best[i][j] = the best weight aligning turns i.. with users j.. (row-major, (m + 1) columns).
  const best = new Int32Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => best[i * (m + 1) + j] ?? 0;
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) {
      const match = texts[i] === users[j] ? (weight[i] ?? 0) + at(i + 1, j + 1) : -1;
      best[i * (m + 1) + j] = Math.max(match, at(i + 1, j), at(i, j + 1));
    }
  for (let i = 0, j = 0; i < n && j < m;) {
    if (texts[i] === users[j] && at(i, j) === (weight[i] ?? 0) + at(i + 1, j + 1)) out[i++] = j++;
    else if (at(i, j) === at(i + 1, j)) i++;
    else j++;
  }
  return out;
}

/**
 * The failed turns of thread `threadId` among `events` (its chat events), oldest first, each placed
 * among `stored` (the thread's stored messages, OpenAI format) after the stored user messages before
 * it (see {@link storedIndexes} for which turns the runtime stored). `running` = the id of the
 * thread's turn still running (never reported as failed).
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
  const turns = turnsOf(events).filter((t) => t.threadId === threadId);
  const index = storedIndexes(turns, users);
  const out: FailedTurn[] = [];
  let before = 0;
  turns.forEach((t, i) => {
    const own = index[i] ?? -1;
    if (own >= 0) before = own + 1;
    if (t.replied || !t.error || t.turnId === running) return;
    out.push({
      turn_id: t.turnId,
      text: t.text,
      message: t.error.message,
      source: t.error.source,
      at: t.error.at,
      anchor: before,
      in_thread: own >= 0,
    });
  });
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
