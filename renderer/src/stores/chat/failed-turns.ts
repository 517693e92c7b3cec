// Turns that ended in an error, kept per agent so the thread shows them (with Retry) after the next message and a reload.
import type { ChatItem } from './initial-state';

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
}

/** Where failed turns are kept: `localStorage` in the app, a map in tests. */
export interface FailedTurnStorage {
  load(agentId: string): FailedTurn[];
  save(agentId: string, turns: FailedTurn[]): void;
}

/** At most this many failed turns are kept per agent (the oldest go first). */
export const MAX_FAILED_TURNS = 200;

const KEY = (agentId: string): string => `agentdesk.chat.failed.${agentId}`;

/** A storage in memory (tests, or a window without `localStorage`). */
export function memoryFailedTurns(): FailedTurnStorage {
  const map = new Map<string, FailedTurn[]>();
  return {
    load: (agentId) => [...(map.get(agentId) ?? [])],
    save: (agentId, turns) => void map.set(agentId, [...turns]),
  };
}

/** The window's `localStorage` (one JSON list per agent); unreadable entries read as none. */
export function localFailedTurns(): FailedTurnStorage {
  if (typeof localStorage === 'undefined') return memoryFailedTurns();
  return {
    load(agentId) {
      try {
        const v: unknown = JSON.parse(localStorage.getItem(KEY(agentId)) ?? '[]');
        return Array.isArray(v) ? (v as FailedTurn[]).filter((t) => typeof t?.thread_id === 'string') : [];
      } catch {
        return [];
      }
    },
    save(agentId, turns) {
      try {
        localStorage.setItem(KEY(agentId), JSON.stringify(turns.slice(-MAX_FAILED_TURNS)));
      } catch {
        // A full or refused storage only loses the failure across a reload.
      }
    },
  };
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
