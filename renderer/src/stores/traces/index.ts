// The traces store: the timeline's events (one agent or all), live from `traces.event`, paged back with `traces.list`.
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { getClient } from '../client';
import type { ClientGetter } from '../client';
import { createTracesActions } from './actions';
import type { TracesActions } from './actions';
import { initialTracesState } from './initial-state';
import type { TracesState } from './initial-state';

export type TracesStore = TracesState & TracesActions;

/**
 * Creates a traces store (the app uses {@link tracesStore} for the Traces page and {@link tracePaneStore}
 * for the per-agent pane; tests make their own with a fake client and clock `now`, UTC ms).
 */
export function createTracesStore(
  client: ClientGetter = getClient,
  now: () => number = Date.now,
): StoreApi<TracesStore> {
  return createStore<TracesStore>()((set, get) => ({
    ...initialTracesState,
    ...createTracesActions(set, get, client, now),
  }));
}

/**
 * The Traces page's store. `tracesStore.getState().open(agentId)` shows one agent's trace (`null` = all
 * agents); the page calls it when it mounts, and `follow()` for live events.
 */
export const tracesStore = createTracesStore();

/** The per-agent trace pane's store (its own filters and scroll state, apart from the Traces page). */
export const tracePaneStore = createTracesStore();

/** React hook reading a slice of {@link tracesStore}. */
export function useTraces<T>(selector: (s: TracesStore) => T): T {
  return useStore(tracesStore, selector);
}

export * from './selectors';
export * from './timeline';
export { initialFilters, TRACE_EVENTS_KEPT, TRACE_PAGE_SIZE } from './initial-state';
export type { TraceFilters, TracesState } from './initial-state';
