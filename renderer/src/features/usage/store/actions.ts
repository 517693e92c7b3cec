// Usage actions: load the summary and limits, change limits, follow `usage.alert` and finished runs.
import type { StoreApi } from 'zustand/vanilla';
import type { AgentLimits, SetLimitsInput, UsageAlert } from '../../../../../contract/usage';
import type { ClientGetter } from '../../../stores/client';
import { toShownError } from '../../../stores/errors';
import type { ShownError } from '../../../stores/errors';
import type { UsageRange, UsageState } from './initial-state';
import { sinceOf } from './selectors';

export interface UsageActions {
  /** Loads the summary of the current range and agent, and every agent's limits. */
  load(): Promise<void>;
  loadLimits(): Promise<void>;
  setRange(range: UsageRange): Promise<void>;
  setAgent(agentId: string | null): Promise<void>;
  /** Changes an agent's limits; resolves to them, or to the error to show. */
  setLimits(input: SetLimitsInput): Promise<{ limits: AgentLimits } | { error: ShownError }>;
  applyAlert(alert: UsageAlert): void;
  /** Subscribes to `usage.alert` (and reloads the limits after each run that ended); returns the unsubscribe function. */
  follow(): () => void;
}

type Store = UsageState & UsageActions;
type Set = StoreApi<Store>['setState'];
type Get = StoreApi<Store>['getState'];

/** Builds the Usage actions over the injected client. Failures are kept in state, never thrown. */
export function createUsageActions(
  set: Set,
  get: Get,
  getClient: ClientGetter,
  now: () => number = Date.now,
): UsageActions {
  return {
    async load() {
      set({ loading: true });
      try {
        const { range, agentId } = get();
        const summary = await getClient().usage.summary({
          since: sinceOf(range, now()),
          ...(agentId ? { agent_id: agentId } : {}),
        });
        set({ summary, error: null });
        await get().loadLimits();
      } catch (err) {
        set({ error: toShownError(err) });
      } finally {
        set({ loading: false });
      }
    },
    async loadLimits() {
      try {
        const { limits } = await getClient().usage.limits({});
        set({ limits: Object.fromEntries(limits.map((l) => [l.agent_id, l])) });
      } catch (err) {
        set({ error: toShownError(err) });
      }
    },
    async setRange(range) {
      set({ range });
      await get().load();
    },
    async setAgent(agentId) {
      set({ agentId });
      await get().load();
    },
    async setLimits(input) {
      try {
        const limits = await getClient().usage.setLimits(input);
        const alerts = { ...get().alerts };
        if (limits.state === 'ok') delete alerts[input.agent_id];
        set({ limits: { ...get().limits, [input.agent_id]: limits }, alerts });
        return { limits };
      } catch (err) {
        return { error: toShownError(err) };
      }
    },
    applyAlert(alert) {
      set({ alerts: { ...get().alerts, [alert.agent_id]: alert } });
      void get().loadLimits();
    },
    follow() {
      const c = getClient();
      const offAlert = c.on('usage.alert', (a) => get().applyAlert(a));
      const offRun = c.on('tasks.run', (r) => {
        if (r.status !== 'queued' && r.status !== 'running') void get().loadLimits();
      });
      return () => {
        offAlert();
        offRun();
      };
    },
  };
}
