// Keeps the window's agents store loaded and following `agents.changed` while a page that lists agents is shown.
import { useEffect } from 'react';
import { agentsStore } from '../../stores/agents';
import { connectionStore } from '../../stores/connection';

/**
 * Loads the agents once, follows their change events, and loads them again after each reconnection to
 * the core (events sent while it was away are lost); stops following when the page goes.
 */
export function useAgentsFollowed(): void {
  useEffect(() => {
    const store = agentsStore.getState();
    const off = store.follow();
    void store.load();
    const offReconnect = connectionStore.subscribe((s, prev) => {
      if (s.reconnects !== prev.reconnects) void agentsStore.getState().load();
    });
    return () => {
      offReconnect();
      off();
    };
  }, []);
}
