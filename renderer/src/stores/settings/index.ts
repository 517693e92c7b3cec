// The Settings store: the settings form and the theme in force.
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { getClient } from '../client';
import type { ClientGetter } from '../client';
import { createSettingsActions } from './actions';
import type { SettingsActions } from './actions';
import { initialSettingsState } from './initial-state';
import type { SettingsState } from './initial-state';

export type SettingsStore = SettingsState & SettingsActions;

/** Creates a Settings store (the app uses {@link settingsStore}; tests make their own with a fake client). */
export function createSettingsStore(client: ClientGetter = getClient): StoreApi<SettingsStore> {
  return createStore<SettingsStore>()((set, get) => ({
    ...initialSettingsState,
    ...createSettingsActions(set, get, client),
  }));
}

/** The window's Settings store. */
export const settingsStore = createSettingsStore();

/** React hook reading a slice of {@link settingsStore}. */
export function useSettings<T>(selector: (s: SettingsStore) => T): T {
  return useStore(settingsStore, selector);
}

export * from './selectors';
export { SETTINGS_FIELDS } from './initial-state';
export type { SettingsDraft, SettingsField, SettingsState } from './initial-state';
