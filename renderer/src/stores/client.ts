// The core client the stores call, injected once at startup (stores never reach for window.*).
import type { Client } from '../../../contract/client';

let current: Client | null = null;

/** Installs the client built by `connectToCore` (or a fake in tests). */
export function setClient(client: Client): void {
  current = client;
}

/**
 * The installed client.
 * @throws Error when called before {@link setClient} (a startup-order bug, not a user-facing state).
 */
export function getClient(): Client {
  if (!current) throw new Error('Agent Desk client used before setClient() was called');
  return current;
}

/** A function that yields the client; store factories take one so tests can pass their own. */
export type ClientGetter = () => Client;
