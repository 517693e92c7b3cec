// Connection actions: fold transport signals into a status and, while lost, probe the core with backoff.
import type { StoreApi } from 'zustand/vanilla';
import type { ReachSignal } from '../../api/connection';
import { backoffDelay, DEFAULT_BACKOFF } from '../../api/backoff';
import type { BackoffOptions } from '../../api/backoff';
import type { ClientGetter } from '../client';
import type { ConnectionState } from './initial-state';

export interface ConnectionActions {
  /** Takes a signal from the transport. `unauthorized` is final; `unreachable` starts probing. */
  report(signal: ReachSignal): void;
  /** Stops any pending probe (on teardown). */
  stopProbing(): void;
}

/** Timers and backoff used by the probe; injectable for tests. */
export interface ProbeOptions {
  backoff?: BackoffOptions;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (h: unknown) => void;
}

/**
 * Builds the connection actions. While `lost`, calls `system.info` after `backoffDelay(failures)`; the
 * transport itself reports `reachable` when a call gets through, which ends the probing.
 */
export function createConnectionActions(
  set: StoreApi<ConnectionState & ConnectionActions>['setState'],
  get: StoreApi<ConnectionState & ConnectionActions>['getState'],
  getClient: ClientGetter,
  options: ProbeOptions = {},
): ConnectionActions {
  const setTimer = options.setTimeout ?? ((fn: () => void, ms: number) => globalThis.setTimeout(fn, ms));
  const clearTimer = options.clearTimeout ?? ((h: unknown) => globalThis.clearTimeout(h as number));
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let probe: unknown = null;

  function scheduleProbe(): void {
    if (probe !== null) return;
    probe = setTimer(
      () => {
        probe = null;
        if (get().status !== 'lost') return;
        void getClient()
          .system.info({})
          .catch(() => undefined)
          .then(() => {
            if (get().status !== 'lost') return;
            set((s) => ({ probeFailures: s.probeFailures + 1 }));
            scheduleProbe();
          });
      },
      backoffDelay(get().probeFailures, backoff),
    );
  }

  return {
    report(signal) {
      const { status } = get();
      if (status === 'unauthorized') return;
      if (signal === 'unauthorized') {
        get().stopProbing();
        set({ status: 'unauthorized' });
      } else if (signal === 'reachable') {
        if (status === 'online') return;
        get().stopProbing();
        set((s) => ({
          status: 'online',
          probeFailures: 0,
          reconnects: status === 'lost' ? s.reconnects + 1 : s.reconnects,
        }));
      } else {
        if (status !== 'lost') set({ status: 'lost' });
        scheduleProbe();
      }
    },
    stopProbing() {
      if (probe !== null) clearTimer(probe);
      probe = null;
    },
  };
}
