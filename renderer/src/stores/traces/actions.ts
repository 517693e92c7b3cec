// Traces actions: show an agent's (or every agent's) trace, page back, filter kinds, and take live events.
import type { StoreApi } from 'zustand/vanilla';
import type { TraceEvent, TraceKind, TraceQueryInput } from '../../../../contract/traces';
import type { ClientGetter } from '../client';
import { toShownError } from '../errors';
import { initialTracesState, TRACE_PAGE_SIZE } from './initial-state';
import type { TracesState } from './initial-state';
import { eventMatches, mergeEvents } from './selectors';

export interface TracesActions {
  /** Shows the trace of `agentId` (`null` = every agent) and loads its newest page (again when already shown). */
  open(agentId: string | null): Promise<void>;
  /** Loads the newest page (`traces.list`, newest first); a failure lands in `error`. */
  load(): Promise<void>;
  /** Loads the page before the oldest event shown. */
  loadOlder(): Promise<void>;
  /** Shows only `kinds` (empty = all) and reloads. */
  setKinds(kinds: TraceKind[]): Promise<void>;
  /** Takes one live `traces.event` (ignored when it is not for the agent or kinds shown). */
  applyEvent(event: TraceEvent): void;
  /** Subscribes to `traces.event`; returns the unsubscribe function. */
  follow(): () => void;
}

type Store = TracesState & TracesActions;
type Set = StoreApi<Store>['setState'];
type Get = StoreApi<Store>['getState'];

/** Builds the traces actions over the injected client. Failures are kept in state, never thrown. */
export function createTracesActions(set: Set, get: Get, getClient: ClientGetter): TracesActions {
  const query = (cursor?: string): TraceQueryInput => {
    const { agentId, kinds } = get();
    return {
      order: 'desc',
      limit: TRACE_PAGE_SIZE,
      ...(agentId ? { agent_id: agentId } : {}),
      ...(kinds.length ? { kinds } : {}),
      ...(cursor ? { cursor } : {}),
    };
  };
  /** The view a call was made for, so a late answer for another view is dropped. */
  const viewOf = () => `${get().agentId ?? '*'}|${get().kinds.join(',')}`;

  return {
    async open(agentId) {
      if (get().agentId !== agentId) set({ ...initialTracesState, agentId, kinds: get().kinds });
      await get().load();
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
    async setKinds(kinds) {
      set({ kinds, events: [], olderCursor: null, loaded: false });
      await get().load();
    },
    applyEvent(event) {
      const { agentId, kinds } = get();
      if (!eventMatches(event, agentId, kinds)) return;
      set({ events: mergeEvents(get().events, [event]) });
    },
    follow() {
      return getClient().on('traces.event', (e) => get().applyEvent(e));
    },
  };
}
