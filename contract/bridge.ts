// The IPC seam between the sandboxed preload and the page: channel prefixes and the one bridge object.
//
// This file has no runtime imports, so the preload (which may `require` only electron and a few
// built-ins) can import its types with `import type` and pin its own literals to them at compile time.

/** Prefix of contract calls on IPC: `api:<group>.<method>`. */
export const API_CHANNEL_PREFIX = 'api:';
/** Prefix of push events on IPC: `evt:<name>`. */
export const EVENT_CHANNEL_PREFIX = 'evt:';
/** The literal type of {@link API_CHANNEL_PREFIX}, for the preload's type-only import. */
export type ApiChannelPrefix = typeof API_CHANNEL_PREFIX;
/** The literal type of {@link EVENT_CHANNEL_PREFIX}, for the preload's type-only import. */
export type EventChannelPrefix = typeof EVENT_CHANNEL_PREFIX;

/**
 * What the page sees as `window.bridge` inside Electron (preload/index.ts builds it). Channels outside
 * the two prefixes are refused: `invoke` rejects, `on` throws.
 */
export interface Bridge {
  /** Calls `api:<group>.<method>` with one input; resolves with the core's Result envelope (never rejects for API errors). */
  invoke: (channel: string, input: unknown) => Promise<unknown>;
  /** Listens on `evt:<name>`; the listener gets the payload only. Returns the unsubscribe function. */
  on: (channel: string, listener: (payload: unknown) => void) => () => void;
}
