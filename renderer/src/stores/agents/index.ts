// The Agents store: every agent live from `agents.changed`, deploy progress, row actions and the open chat/trace pane.
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { getClient } from '../client';
import type { ClientGetter } from '../client';
import { createAgentsActions } from './actions';
import type { AgentsActions } from './actions';
import { initialAgentsState } from './initial-state';
import type { AgentsState } from './initial-state';

export type AgentsStore = AgentsState & AgentsActions;

/** Creates an Agents store (the app uses {@link agentsStore}; tests make their own with a fake client). */
export function createAgentsStore(client: ClientGetter = getClient): StoreApi<AgentsStore> {
  return createStore<AgentsStore>()((set, get) => ({
    ...initialAgentsState,
    ...createAgentsActions(set, get, client),
  }));
}

/** The window's Agents store. */
export const agentsStore = createAgentsStore();

/** React hook reading a slice of {@link agentsStore}. */
export function useAgents<T>(selector: (s: AgentsStore) => T): T {
  return useStore(agentsStore, selector);
}

export * from './selectors';
export * from './naming';
export * from './field-errors';
export * from './usage-view';
export { USAGE_REFRESH_MS } from './usage-actions';
export type {
  AgentsState,
  AgentPaneKind,
  LogsState,
  RowBusy,
  SelectedPane,
  UsageState,
} from './initial-state';
export type { CreateResult } from './actions';
