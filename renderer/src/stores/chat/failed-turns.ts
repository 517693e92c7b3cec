// Turns that ended in an error, so the thread shows them (with Retry): the core's (read from the trace) and this window's.
import type { Client } from '../../../../contract/client';
import type { ChatItem } from './initial-state';
import { hintFor } from './selectors';

/**
 * A failed turn: the message, the error, and where it sits in its thread. `anchor` = how many user
 * messages of the stored thread come before the failure's rows; `inThread` = the runtime stored the
 * message itself (the failure's user message is the `anchor`-th one), so only the error is added.
 */
export interface FailedTurn {
  id: string;
  thread_id: string;
  anchor: number;
  inThread: boolean;
  text: string;
  message: string;
  hint: string | null;
  /** When it failed (UTC ms). */
  at: number;
  /** The turn's id when known (the core's trace id of the turn); `null` for a message refused before it had one. */
  turn_id?: string | null;
}

/** Where this window keeps the failed turns it saw (in memory: the core holds them across reloads). */
export interface FailedTurnStorage {
  load(agentId: string): FailedTurn[];
  save(agentId: string, turns: FailedTurn[]): void;
}

/** At most this many failed turns are kept per agent (the oldest go first). */
export const MAX_FAILED_TURNS = 200;

/** A storage in memory, per agent. */
export function memoryFailedTurns(): FailedTurnStorage {
  const map = new Map<string, FailedTurn[]>();
  return {
    load: (agentId) => [...(map.get(agentId) ?? [])],
    save: (agentId, turns) => void map.set(agentId, [...turns]),
  };
}

/** A failed turn as `agents.thread` gives it. */
type AgentFailedTurnOut = NonNullable<Awaited<ReturnType<Client['agents']['thread']>>['failed']>[number];

/** A failed turn as the core read it from the agent's trace, for thread `threadId`. */
export function fromCore(threadId: string, f: AgentFailedTurnOut): FailedTurn {
  return {
    id: `core-${f.turn_id}`,
    thread_id: threadId,
    anchor: f.anchor,
    inThread: f.in_thread,
    text: f.text,
    message: f.message,
    hint: f.source === 'relay' ? null : hintFor(f.message),
    at: f.at,
    turn_id: f.turn_id,
  };
}

/** A window's failure and the core's are the same turn within this long (ms) when the window had no turn id. */
const SAME_TURN_MS = 5 * 60_000;

/**
 * The failed turns of thread `threadId` to show: the core's (`fromCoreTurns`), then this window's
 * (`seen`) that the core does not hold yet (same turn id; or, without one, same message within 5 min).
 */
export function mergeFailedTurns(
  threadId: string | null,
  fromCoreTurns: readonly FailedTurn[],
  seen: readonly FailedTurn[],
): FailedTurn[] {
  const core = fromCoreTurns.filter((f) => f.thread_id === threadId);
  const own = seen.filter(
    (f) =>
      f.thread_id === threadId &&
      !core.some((c) =>
        f.turn_id
          ? c.turn_id === f.turn_id
          : c.text.trim() === f.text.trim() && Math.abs(c.at - f.at) < SAME_TURN_MS,
      ),
  );
  return [...core, ...own];
}

/**
 * The stored thread's rows with the failed turns of that thread put back where they happened: after
 * the `anchor`-th user message and its rows (their user message first when the runtime never stored
 * it). Each error row carries `retry` = the message to send again. Failures past the end go last.
 */
export function withFailedTurns(items: readonly ChatItem[], failed: readonly FailedTurn[]): ChatItem[] {
  const out: ChatItem[] = [];
  const sorted = [...failed].sort((a, b) => a.at - b.at);
  const rowsOf = (f: FailedTurn): ChatItem[] => [
    ...(f.inThread ? [] : [{ kind: 'user' as const, key: `fu-${f.id}`, text: f.text, failed: true }]),
    { kind: 'error', key: `fe-${f.id}`, message: f.message, hint: f.hint, retry: f.text },
  ];
  let users = 0;
  for (const item of items) {
    if (item.kind === 'user') {
      for (const f of sorted) if (f.anchor === users) out.push(...rowsOf(f));
      users += 1;
    }
    out.push(item);
  }
  for (const f of sorted) if (f.anchor >= users) out.push(...rowsOf(f));
  return out;
}
