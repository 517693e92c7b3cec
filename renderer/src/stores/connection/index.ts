// The connection store: one per window, fed by the transport, read by the banner and the data loaders.
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { getClient } from '../client';
import type { ClientGetter } from '../client';
import { createConnectionActions } from './actions';
import type { ConnectionActions, ProbeOptions } from './actions';
import { initialConnectionState } from './initial-state';
import type { ConnectionState } from './initial-state';

export type ConnectionStore = ConnectionState & ConnectionActions;

/** Creates a connection store (the app uses {@link connectionStore}; tests make their own). */
export function createConnectionStore(
  client: ClientGetter = getClient,
  options?: ProbeOptions,
): StoreApi<ConnectionStore> {
  return createStore<ConnectionStore>()((set, get) => ({
    ...initialConnectionState,
    ...createConnectionActions(set, get, client, options),
  }));
}

/** The window's connection store. */
export const connectionStore = createConnectionStore();

/** React hook reading a slice of {@link connectionStore}. */
export function useConnection<T>(selector: (s: ConnectionStore) => T): T {
  return useStore(connectionStore, selector);
}

export * from './selectors';
export type { ConnectionStatus, ConnectionState } from './initial-state';
