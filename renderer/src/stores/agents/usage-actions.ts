// Today's tokens and cost per agent: loads `traces.totals`, refreshes on model calls (throttled) and at UTC midnight.
import type { StoreApi } from 'zustand/vanilla';
import type { ClientGetter } from '../client';
import { toShownError } from '../errors';
import type { AgentsState } from './initial-state';

/** Shortest time between two `traces.totals` calls caused by `traces.event`s, ms. */
export const USAGE_REFRESH_MS = 2000;

/** The usage part of the Agents actions. */
export interface UsageActions {
  /** Loads today's totals of every live agent (`traces.totals`); a failure lands in `usage.error`. */
  loadUsage(): Promise<void>;
  /**
   * Follows model calls: each `traces.event` of kind `llm_call` refreshes the totals, at most once per
   * {@link USAGE_REFRESH_MS} (the first at once, the rest of a burst in one call at the end of the
   * window); also refreshes just after each UTC midnight, when "today" starts again. Returns the
   * unsubscribe function (pending timers are cancelled).
   */
  followUsage(): () => void;
}

type Set = StoreApi<AgentsState>['setState'];
type Get = StoreApi<AgentsState>['getState'];

/** Ms from `now` (UTC ms) to one second after the next UTC midnight. */
export function msToNextUtcDay(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) + 1000 - now;
}

/** Builds the usage actions over the injected client. Failures are kept in state, never thrown. */
export function createUsageActions(set: Set, get: Get, getClient: ClientGetter): UsageActions {
  /** Number of the latest call: an older answer arriving after a newer one is ignored. */
  let seq = 0;
  /** `Date.now()` when the last call started. */
  let lastStart = -Infinity;

  const loadUsage = async (): Promise<void> => {
    const mine = ++seq;
    lastStart = Date.now();
    try {
      const r = await getClient().traces.totals({});
      if (mine !== seq) return;
      set({
        usage: {
          totals: Object.fromEntries(r.totals.map((t) => [t.agent_id, t])),
          day: r.day,
          loaded: true,
          error: null,
        },
      });
    } catch (err) {
      if (mine === seq) set({ usage: { ...get().usage, error: toShownError(err) } });
    }
  };

  return {
    loadUsage,
    followUsage() {
      let throttle: ReturnType<typeof setTimeout> | null = null;
      let midnight: ReturnType<typeof setTimeout> | null = null;
      const refreshSoon = (): void => {
        if (throttle) return; // a refresh is already due: it will see this call too
        const wait = Math.max(0, lastStart + USAGE_REFRESH_MS - Date.now());
        throttle = setTimeout(() => {
          throttle = null;
          void loadUsage();
        }, wait);
      };
      const atMidnight = (): void => {
        midnight = setTimeout(() => {
          void loadUsage();
          atMidnight();
        }, msToNextUtcDay(Date.now()));
      };
      atMidnight();
      const off = getClient().on('traces.event', (e) => {
        if (e.kind === 'llm_call') refreshSoon();
      });
      return () => {
        off();
        if (throttle) clearTimeout(throttle);
        if (midnight) clearTimeout(midnight);
      };
    },
  };
}
