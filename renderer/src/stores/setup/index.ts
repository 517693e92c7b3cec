// The setup store: first-run onboarding checks and LiteLLM provisioning progress.
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { getClient } from '../client';
import type { ClientGetter } from '../client';
import { createSetupActions } from './actions';
import type { SetupActions } from './actions';
import { initialSetupState } from './initial-state';
import type { SetupState } from './initial-state';

export type SetupStore = SetupState & SetupActions;

/** Creates a setup store (the app uses {@link setupStore}; tests make their own with a fake client). */
export function createSetupStore(client: ClientGetter = getClient): StoreApi<SetupStore> {
  return createStore<SetupStore>()((set, get) => ({
    ...initialSetupState,
    ...createSetupActions(set, get, client),
  }));
}

/** The window's setup store. */
export const setupStore = createSetupStore();

/** React hook reading a slice of {@link setupStore}. */
export function useSetup<T>(selector: (s: SetupStore) => T): T {
  return useStore(setupStore, selector);
}

export type { SetupState } from './initial-state';
