// Derived views of the connection state.
import type { ConnectionState } from './initial-state';

/** True while the "Lost connection … retrying" banner should show. */
export const selectConnectionLost = (s: ConnectionState): boolean => s.status === 'lost';

/** True when the core refused the token. */
export const selectUnauthorized = (s: ConnectionState): boolean => s.status === 'unauthorized';

/** Counter that changes after each reconnect. */
export const selectReconnects = (s: ConnectionState): number => s.reconnects;
