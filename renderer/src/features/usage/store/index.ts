// The Usage store (its own, beside the feature): spend and tokens per agent, model and day; limits and alerts.
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { getClient } from '../../../stores/client';
import type { ClientGetter } from '../../../stores/client';
import { createUsageActions } from './actions';
import type { UsageActions } from './actions';
import { initialUsageState } from './initial-state';
import type { UsageState } from './initial-state';

export type UsageStore = UsageState & UsageActions;

/** Creates a Usage store (the app uses {@link usageStore}; tests make their own with a fake client). */
export function createUsageStore(
  client: ClientGetter = getClient,
  now: () => number = Date.now,
): StoreApi<UsageStore> {
  return createStore<UsageStore>()((set, get) => ({
    ...initialUsageState,
    ...createUsageActions(set, get, client, now),
  }));
}

/** The window's Usage store. */
export const usageStore = createUsageStore();

/** React hook reading a slice of {@link usageStore}. */
export function useUsage<T>(selector: (s: UsageStore) => T): T {
  return useStore(usageStore, selector);
}

export * from './selectors';
export type { UsageState, UsageRange } from './initial-state';
