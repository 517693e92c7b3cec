// System actions: load and refresh the health report and core info, and follow `health.changed`.
import type { StoreApi } from 'zustand/vanilla';
import type { HealthReport } from '../../../../contract/health';
import type { ClientGetter } from '../client';
import { toShownError } from '../errors';
import type { SystemState } from './initial-state';

export interface SystemActions {
  /** Fetches the last health report (no new probes). */
  loadHealth(): Promise<void>;
  /** "Check again": asks the core to probe every component now. */
  refreshHealth(): Promise<void>;
  /** Fetches version, mode and data dir of the core. */
  loadInfo(): Promise<void>;
  /** Takes a report pushed by `health.changed`. */
  applyHealth(report: HealthReport): void;
  /** Subscribes to `health.changed`; returns the unsubscribe function. */
  follow(): () => void;
}

type Set = StoreApi<SystemState & SystemActions>['setState'];
type Get = StoreApi<SystemState & SystemActions>['getState'];

/** Builds the System actions over the injected client. Failures are kept in state, never thrown. */
export function createSystemActions(set: Set, get: Get, getClient: ClientGetter): SystemActions {
  /** Keeps the newest report: a slow answer never replaces a newer pushed one. */
  function takeReport(report: HealthReport): void {
    const current = get().health;
    if (current && current.checked_at > report.checked_at) return;
    set({ health: report, healthError: null });
  }

  return {
    async loadHealth() {
      set({ loadingHealth: true });
      try {
        takeReport(await getClient().system.health({}));
      } catch (err) {
        set({ healthError: toShownError(err) });
      } finally {
        set({ loadingHealth: false });
      }
    },
    async refreshHealth() {
      if (get().refreshing) return;
      set({ refreshing: true });
      try {
        takeReport(await getClient().system.health({ refresh: true }));
      } catch (err) {
        set({ healthError: toShownError(err) });
      } finally {
        set({ refreshing: false });
      }
    },
    async loadInfo() {
      try {
        set({ info: await getClient().system.info({}), infoError: null });
      } catch (err) {
        set({ infoError: toShownError(err) });
      }
    },
    applyHealth(report) {
      takeReport(report);
    },
    follow() {
      return getClient().on('health.changed', (report) => get().applyHealth(report));
    },
  };
}
