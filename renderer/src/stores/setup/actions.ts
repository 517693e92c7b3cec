// Setup actions: load the checks, run a one-click fix, finish onboarding, and follow provisioning progress.
import type { StoreApi } from 'zustand/vanilla';
import type { ProvisionProgress, SetupActionId } from '../../../../contract/setup';
import type { ClientGetter } from '../client';
import { toShownError } from '../errors';
import type { SetupState } from './initial-state';

export interface SetupActions {
  /** Fetches the checks; `refresh` makes the core probe every component again ("Check again"). */
  load(refresh?: boolean): Promise<void>;
  /** Runs a one-click fix (`provision-litellm` answers at once; progress follows on `setup.progress`). */
  fix(action: SetupActionId): Promise<void>;
  /** "Continue": marks onboarding done. @returns true when the core accepted it. */
  complete(): Promise<boolean>;
  /** Takes a `setup.progress` event; when provisioning ends, the checks are fetched again. */
  applyProgress(p: ProvisionProgress): void;
  /** Subscribes to `setup.progress` and `health.changed`; returns the unsubscribe function. */
  follow(): () => void;
}

type Set = StoreApi<SetupState & SetupActions>['setState'];
type Get = StoreApi<SetupState & SetupActions>['getState'];

/** Builds the setup actions over the injected client. Failures are kept in state, never thrown. */
export function createSetupActions(set: Set, get: Get, getClient: ClientGetter): SetupActions {
  return {
    async load(refresh = false) {
      set({ checking: true });
      try {
        set({ status: await getClient().setup.status({ refresh }), error: null });
      } catch (err) {
        set({ error: toShownError(err) });
      } finally {
        set({ checking: false });
      }
    },
    async fix(action) {
      if (get().fixing) return;
      set({ fixing: action });
      try {
        set({ status: await getClient().setup.fix({ action }), error: null });
      } catch (err) {
        set({ error: toShownError(err) });
      } finally {
        set({ fixing: null });
      }
    },
    async complete() {
      set({ completing: true });
      try {
        set({ status: await getClient().setup.complete({}), error: null });
        return true;
      } catch (err) {
        set({ error: toShownError(err) });
        return false;
      } finally {
        set({ completing: false });
      }
    },
    applyProgress(p) {
      const status = get().status;
      if (status) set({ status: { ...status, provision: p } });
      if (p.state === 'done' || p.state === 'failed' || !status) void get().load(false);
    },
    follow() {
      const client = getClient();
      const offs = [
        client.on('setup.progress', (p) => get().applyProgress(p)),
        client.on('health.changed', () => void get().load(false)),
      ];
      return () => offs.forEach((off) => off());
    },
  };
}
