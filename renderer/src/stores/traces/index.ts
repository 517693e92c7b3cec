// The traces store: the trace pane's events (one agent or all), live from `traces.event`, paged back with `traces.list`.
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

/** Creates a traces store (the app uses {@link tracesStore}; tests make their own with a fake client). */
export function createTracesStore(client: ClientGetter = getClient): StoreApi<TracesStore> {
  return createStore<TracesStore>()((set, get) => ({
    ...initialTracesState,
    ...createTracesActions(set, get, client),
  }));
}

/**
 * The window's traces store. `tracesStore.getState().open(agentId)` shows one agent's trace (`null` = all
 * agents); the trace pane and the Traces page call it when they mount, and `follow()` for live events.
 */
export const tracesStore = createTracesStore();

/** React hook reading a slice of {@link tracesStore}. */
export function useTraces<T>(selector: (s: TracesStore) => T): T {
  return useStore(tracesStore, selector);
}

export * from './selectors';
export { TRACE_EVENTS_KEPT, TRACE_PAGE_SIZE } from './initial-state';
export type { TracesState } from './initial-state';
