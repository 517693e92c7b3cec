// Reconnect delays: exponential backoff with jitter, capped, for the event stream and the reachability probe.

/** Backoff settings, all in ms. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Fraction of the delay added or removed at random (0.2 = ±20 %). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 15_000, jitter: 0.2 };

/**
 * Delay in ms before retry number `attempt` (0-based): `initialMs · 2^attempt`, capped at `maxMs`,
 * then spread by ±`jitter` so many windows do not reconnect in lockstep.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random = Math.random,
): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  const spread = base * options.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}
