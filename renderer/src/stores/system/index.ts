// The System store: health report and core info for the System view.
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { getClient } from '../client';
import type { ClientGetter } from '../client';
import { createSystemActions } from './actions';
import type { SystemActions } from './actions';
import { initialSystemState } from './initial-state';
import type { SystemState } from './initial-state';

export type SystemStore = SystemState & SystemActions;

/** Creates a System store (the app uses {@link systemStore}; tests make their own with a fake client). */
export function createSystemStore(client: ClientGetter = getClient): StoreApi<SystemStore> {
  return createStore<SystemStore>()((set, get) => ({
    ...initialSystemState,
    ...createSystemActions(set, get, client),
  }));
}

/** The window's System store. */
export const systemStore = createSystemStore();

/** React hook reading a slice of {@link systemStore}. */
export function useSystem<T>(selector: (s: SystemStore) => T): T {
  return useStore(systemStore, selector);
}

export * from './selectors';
export type { SystemState } from './initial-state';
