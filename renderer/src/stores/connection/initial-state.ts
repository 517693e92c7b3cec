// State of the renderer's link to the core, as shown by the connection banner.

/**
 * `connecting` before the first answer; `online` the core answers; `lost` it stopped answering (retrying);
 * `unauthorized` the HTTP core refused the token (only a new URL from `agentdesk serve` helps).
 */
export type ConnectionStatus = 'connecting' | 'online' | 'lost' | 'unauthorized';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Incremented on every `lost → online`, so data loaders know to fetch again (events were missed). */
  reconnects: number;
  /** Consecutive failed probes while `lost`, for the backoff. */
  probeFailures: number;
}

export const initialConnectionState: ConnectionState = {
  status: 'connecting',
  reconnects: 0,
  probeFailures: 0,
};
