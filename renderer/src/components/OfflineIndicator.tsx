// Shell indicator "Offline — local models only", from the core's routing table, checked every few seconds.
import { useEffect } from 'react';
import type { ReactElement } from 'react';
import { offlineLine, providersStore, useProviders } from '../stores/providers';
import { OfflineIcon } from './Icons';

/** How often the core is asked whether a route to the internet exists, in ms (a local file read there). */
export const NETWORK_CHECK_MS = 5000;

/**
 * One status line while the core's machine has no route to the internet: cloud providers then show
 * "Unreachable" once on the Providers page instead of failing call after call. Renders nothing online.
 */
export function OfflineIndicator(): ReactElement | null {
  const network = useProviders((s) => s.network);
  useEffect(() => {
    const check = (): void => void providersStore.getState().checkNetwork();
    check();
    const timer = setInterval(check, NETWORK_CHECK_MS);
    return () => clearInterval(timer);
  }, []);
  const line = offlineLine(network);
  if (!line) return null;
  return (
    <div
      className="connection-banner offline-indicator"
      role="status"
      data-testid="offline-indicator"
      title={network?.detail}
    >
      <OfflineIcon />
      <span>{line}</span>
    </div>
  );
}
