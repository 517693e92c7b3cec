// IPC transport inside Electron: `window.bridge.invoke('api:<group>.<method>')`, events on `evt:<name>`.
import { API_CHANNEL_PREFIX, EVENT_CHANNEL_PREFIX } from '../../../contract/bridge';
import type { Bridge } from '../../../contract/bridge';
import type { Result } from '../../../contract/errors';
import type { Transport } from '../../../contract/client';
import { UNREACHABLE_DETAILS, UNREACHABLE_MESSAGE } from './connection';
import type { ReachListener } from './connection';

export type { Bridge };

function isEnvelope(body: unknown): body is Result<unknown> {
  return typeof body === 'object' && body !== null && typeof (body as { ok?: unknown }).ok === 'boolean';
}

/**
 * Builds the IPC transport over the preload's `window.bridge` (passed in, never read from `window` here).
 * Calls never reject: a rejected `invoke` (no handler registered yet, main process going away) becomes the
 * UNAVAILABLE "unreachable" envelope and is reported through `onReach`, so the UI shows its banner and retries.
 */
export function createIpcTransport(bridge: Bridge, onReach: ReachListener = () => undefined): Transport {
  return {
    async invoke(channel, input) {
      try {
        const result = await bridge.invoke(API_CHANNEL_PREFIX + channel, input ?? {});
        onReach('reachable');
        if (isEnvelope(result)) return result;
        return {
          ok: false,
          error: { code: 'INTERNAL', message: `The core answered ${channel} without an envelope` },
        };
      } catch {
        onReach('unreachable');
        return {
          ok: false,
          error: { code: 'UNAVAILABLE', message: UNREACHABLE_MESSAGE, details: { ...UNREACHABLE_DETAILS } },
        };
      }
    },
    on(event, listener) {
      return bridge.on(EVENT_CHANNEL_PREFIX + event, listener);
    },
  };
}
