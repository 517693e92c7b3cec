// Startup wiring: subscribe stores to push events, load first data, and reload after a reconnect.
import { connectionStore } from '../stores/connection';
import { settingsStore } from '../stores/settings';
import { systemStore } from '../stores/system';

/** Loads everything a page may show (fire and forget: failures land in each store's state). */
function loadAll(): void {
  void systemStore.getState().loadInfo();
  void systemStore.getState().loadHealth();
  void settingsStore.getState().load();
}

/**
 * Starts the live data flow once the client is installed: `health.changed` and `settings.changed` feed
 * their stores, the first data is loaded, and everything is fetched again after each `lost → online`
 * (events sent while disconnected were missed). Returns a function that undoes it.
 */
export function startLive(): () => void {
  const offs = [systemStore.getState().follow(), settingsStore.getState().follow()];
  loadAll();
  const offConnection = connectionStore.subscribe((s, prev) => {
    if (s.reconnects !== prev.reconnects) loadAll();
  });
  return () => {
    offConnection();
    for (const off of offs) off();
    connectionStore.getState().stopProbing();
  };
}
