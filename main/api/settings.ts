// Handlers for the `settings` group.
import type { SettingsStore } from '../services/settings/settings-store';
import type { Handlers } from '../transport/dispatch';

/** Builds the `settings` handlers over the settings store. */
export function settingsHandlers(store: SettingsStore): Handlers['settings'] {
  return {
    get: () => store.get(),
    update: (patch) => store.update(patch),
  };
}
