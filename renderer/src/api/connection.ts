// What a transport reports about reaching the core, so the UI can show a banner instead of failing.

/** `reachable`: the core answered; `unreachable`: no answer (network, process gone); `unauthorized`: token refused. */
export type ReachSignal = 'reachable' | 'unreachable' | 'unauthorized';

/** Called by a transport each time it learns something about reaching the core. */
export type ReachListener = (signal: ReachSignal) => void;

/** Details attached to the UNAVAILABLE envelope a transport makes up when the core cannot be reached. */
export const UNREACHABLE_DETAILS = { reason: 'unreachable' } as const;

/** The message of that envelope. */
export const UNREACHABLE_MESSAGE = 'Lost connection to the Agent Desk core';

/** True when `err` is the transport's own "core unreachable" error rather than an answer from the core. */
export function isUnreachableError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; details?: { reason?: unknown } };
  return e.code === 'UNAVAILABLE' && e.details?.reason === UNREACHABLE_DETAILS.reason;
}
