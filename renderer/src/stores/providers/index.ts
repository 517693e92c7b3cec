// The Providers store: catalog, discovery, added providers and their models, for the Providers page.
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { getClient } from '../client';
import type { ClientGetter } from '../client';
import { createProvidersActions } from './actions';
import type { ProvidersActions } from './actions';
import { initialProvidersState } from './initial-state';
import type { ProvidersState } from './initial-state';

export type ProvidersStore = ProvidersState & ProvidersActions;

/** Creates a Providers store (the app uses {@link providersStore}; tests make their own with a fake client). */
export function createProvidersStore(client: ClientGetter = getClient): StoreApi<ProvidersStore> {
  return createStore<ProvidersStore>()((set, get) => ({
    ...initialProvidersState,
    ...createProvidersActions(set, get, client),
  }));
}

/** The window's Providers store. */
export const providersStore = createProvidersStore();

/** React hook reading a slice of {@link providersStore}. */
export function useProviders<T>(selector: (s: ProvidersStore) => T): T {
  return useStore(providersStore, selector);
}

export * from './selectors';
export type { ProvidersState, RowBusy } from './initial-state';
export type { SubmitResult } from './actions';
