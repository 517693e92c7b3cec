// Traces actions: show an agent's (or every agent's) trace, page back, filter, follow live events, open payloads.
import type { StoreApi } from 'zustand/vanilla';
import type { TraceEvent, TraceKind, TraceQueryInput } from '../../../../contract/traces';
import type { ClientGetter } from '../client';
import { toShownError } from '../errors';
import { initialTracesState, TRACE_PAGE_SIZE } from './initial-state';
import type { TracesState } from './initial-state';
import { mergeEvents, passesFilters } from './selectors';

export interface TracesActions {
  /** Shows the trace of `agentId` (`null` = every agent) and loads its newest page (again when already shown). */
  open(agentId: string | null): Promise<void>;
  /** Loads the newest page (`traces.list`, newest first) of the current view; a failure lands in `error`. */
  load(): Promise<void>;
  /** Loads the page before the oldest event loaded (no-op without a cursor or while loading). */
  loadOlder(): Promise<void>;
  /** Shows only `kinds` (empty = all) and reloads. */
  setKinds(kinds: TraceKind[]): Promise<void>;
  /** Shows the last `rangeMs` ms (`null` = all time) and reloads. */
  setRange(rangeMs: number | null): Promise<void>;
  /** Shows one thread (`null` = all) and reloads. */
  setThread(threadId: string | null): Promise<void>;
  /** Shows the events whose payload contains `text` (case-insensitive; blank = all) and reloads. */
  setText(text: string): Promise<void>;
  /** The list reports whether it sits at its newest event; reaching it clears the "N new" count. */
  setAtBottom(atBottom: boolean): void;
  /** Opens or closes the payload of one event. */
  setExpanded(id: string, open: boolean): void;
  /** Takes one live `traces.event` (ignored when it does not pass the filters of the view). */
  applyEvent(event: TraceEvent): void;
  /** Subscribes to `traces.event`; returns the unsubscribe function. */
  follow(): () => void;
  /**
   * Drops the events of agents not in `agentIds` (the agents the core still knows, archived ones
   * included): a purged agent's trace is deleted with it, so the page stops showing it at once.
   */
  keepAgents(agentIds: readonly string[]): void;
}

type Store = TracesState & TracesActions;
type Set = StoreApi<Store>['setState'];
type Get = StoreApi<Store>['getState'];

/** Builds the traces actions over the injected client. Failures are kept in state, never thrown. */
export function createTracesActions(
  set: Set,
  get: Get,
  getClient: ClientGetter,
  now: () => number = Date.now,
): TracesActions {
  const query = (cursor?: string): TraceQueryInput => {
    const { agentId, kinds, sinceMs, threadId, text } = get();
    return {
      order: 'desc',
      limit: TRACE_PAGE_SIZE,
      ...(agentId ? { agent_id: agentId } : {}),
      ...(kinds.length ? { kinds } : {}),
      ...(sinceMs !== null ? { since: sinceMs } : {}),
      ...(threadId !== null ? { thread_id: threadId } : {}),
      ...(text.trim() ? { text: text.trim() } : {}),
      ...(cursor ? { cursor } : {}),
    };
  };
  /** The view a call was made for, so a late answer for another view is dropped. */
  const viewOf = () => {
    const s = get();
    return `${s.agentId ?? '*'}|${s.kinds.join(',')}|${s.sinceMs ?? ''}|${s.threadId ?? ''}|${s.text.trim()}`;
  };
  /** Clears what was loaded for the previous view and loads the new one. */
  const reload = async (change: Partial<TracesState>) => {
    set({ ...change, events: [], olderCursor: null, loaded: false, newCount: 0, atBottom: true });
    const { rangeMs } = get();
    set({ sinceMs: rangeMs === null ? null : now() - rangeMs });
    await get().load();
  };

  return {
    async open(agentId) {
      if (get().agentId !== agentId) {
        const { kinds, rangeMs, text } = get();
        set({ ...initialTracesState, agentId, kinds, rangeMs, text });
      }
      await reload({});
    },
    async load() {
      const view = viewOf();
      set({ loading: true });
      try {
        const page = await getClient().traces.list(query());
        if (viewOf() !== view) return;
        // Live events that arrived meanwhile are kept; the page brings everything older.
        set({
          events: mergeEvents(get().events, page.events),
          olderCursor: page.next_cursor,
          loaded: true,
          error: null,
        });
      } catch (err) {
        if (viewOf() === view) set({ error: toShownError(err) });
      } finally {
        set({ loading: false });
      }
    },
    async loadOlder() {
      const { olderCursor, loading } = get();
      if (!olderCursor || loading) return;
      const view = viewOf();
      set({ loading: true });
      try {
        const page = await getClient().traces.list(query(olderCursor));
        if (viewOf() !== view) return;
        set({ events: mergeEvents(get().events, page.events), olderCursor: page.next_cursor, error: null });
      } catch (err) {
        if (viewOf() === view) set({ error: toShownError(err) });
      } finally {
        set({ loading: false });
      }
    },
    setKinds: (kinds) => reload({ kinds }),
    setRange: (rangeMs) => reload({ rangeMs }),
    setThread: (threadId) => reload({ threadId }),
    setText: (text) => reload({ text }),
    setAtBottom(atBottom) {
      if (atBottom !== get().atBottom || (atBottom && get().newCount))
        set(atBottom ? { atBottom, newCount: 0 } : { atBottom });
    },
    setExpanded(id, open) {
      const expanded = { ...get().expanded };
      if (open) expanded[id] = true;
      else delete expanded[id];
      set({ expanded });
    },
    applyEvent(event) {
      const s = get();
      if (!passesFilters(event, s)) return;
      const events = mergeEvents(s.events, [event]);
      const isNew = events.length > s.events.length;
      set({ events, newCount: isNew && !s.atBottom ? s.newCount + 1 : s.newCount });
    },
    follow() {
      return getClient().on('traces.event', (e) => get().applyEvent(e));
    },
    keepAgents(agentIds) {
      const known = new Set(agentIds);
      const s = get();
      const events = s.events.filter((e) => known.has(e.agent_id));
      if (events.length !== s.events.length) set({ events });
      if (s.agentId !== null && !known.has(s.agentId)) void get().open(null);
    },
  };
}
