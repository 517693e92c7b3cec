// Banner shown while the core does not answer, instead of failing screens.
import type { ReactElement } from 'react';
import { selectConnectionLost, useConnection } from '../stores/connection';
import { OfflineIcon } from './Icons';

/** "Lost connection to the Agent Desk core — retrying", while the connection store says `lost`. */
export function ConnectionBanner(): ReactElement | null {
  const lost = useConnection(selectConnectionLost);
  if (!lost) return null;
  return (
    <div className="connection-banner" role="alert" data-testid="connection-banner">
      <OfflineIcon />
      <span>Lost connection to the Agent Desk core — retrying…</span>
    </div>
  );
}
