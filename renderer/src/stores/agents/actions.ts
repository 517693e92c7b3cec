// Agents actions: load and follow the list and deploy progress, create, start/stop, archive/restore/purge, logs, the open pane.
import type { StoreApi } from 'zustand/vanilla';
import type { Agent, AgentCreateInput, AgentProgress, FolderGrant } from '../../../../contract/agents';
import type { AgentPolicyInput } from '../../../../contract/egress';
import type { ClientGetter } from '../client';
import { toShownError } from '../errors';
import type { ShownError } from '../errors';
import type { AgentPaneKind, AgentsState, RowBusy } from './initial-state';
import { isDeploying } from './selectors';
import { createUsageActions } from './usage-actions';
import type { UsageActions } from './usage-actions';
import { onRowOf, without } from '../row-state';

/** Outcome of `create` as the dialog sees it: the new agent (in `creating`), or the core's error. */
export type CreateResult = { ok: true; agent: Agent } | { ok: false; error: ShownError };

export interface AgentsActions extends UsageActions {
  /** Loads `agents.list` and today's totals; a failure lands in `loadError` (`usage.error` for the totals). */
  load(): Promise<void>;
  /** Loads what the create dialog offers: harnesses and provider names (models come from the LLM store). */
  loadCreateOptions(): Promise<void>;
  /** Takes a full list pushed by `agents.changed`. */
  applyAgents(agents: Agent[]): void;
  /** Takes one `agents.progress` step. */
  applyProgress(progress: AgentProgress): void;
  /**
   * Subscribes to `agents.changed`, `agents.progress` and the model calls that change today's totals
   * (see {@link UsageActions.followUsage}); returns the unsubscribe function.
   */
  follow(): () => void;
  /** `agents.create`: answers at once with the agent in `creating`; the deploy follows as events. */
  create(input: AgentCreateInput): Promise<CreateResult>;
  /** `agents.start` (also Retry of a failed deploy). */
  start(id: string): Promise<boolean>;
  stop(id: string): Promise<boolean>;
  archive(id: string): Promise<boolean>;
  restore(id: string): Promise<boolean>;
  /** `agents.purge`; the agent leaves the list on success. */
  purge(id: string): Promise<boolean>;
  /**
   * `agents.policy`: changes the agent's egress mode and allowlist (a running agent gets it at once).
   * @returns null on success (the agent in the list is updated), else the core's error.
   */
  setPolicy: (id: string, change: Omit<AgentPolicyInput, 'id'>) => Promise<ShownError | null>;
  /**
   * `agents.folders`: adds (or changes the mode of) and removes shared folders; a running agent is
   * recreated with them. Answers the error to show, or null.
   */
  setFolders(id: string, add: FolderGrant[], remove: string[]): Promise<ShownError | null>;
  /** Forgets the last error of one row (its dismiss button). */
  clearRowError(id: string): void;
  /** Opens the logs dialog of `id` and loads its last `tail` lines (default 200). */
  openLogs(id: string, tail?: number): Promise<void>;
  closeLogs(): void;
  /** Opens the chat or trace pane of `id` (the chat and trace features render it). */
  openPane(id: string, pane: AgentPaneKind): void;
  closePane(): void;
}

type Store = AgentsState & AgentsActions;
type Set = StoreApi<Store>['setState'];
type Get = StoreApi<Store>['getState'];

/** Builds the Agents actions over the injected client. Failures are kept in state, never thrown. */
export function createAgentsActions(set: Set, get: Get, getClient: ClientGetter): AgentsActions {
  /** Puts one agent answered by a call into the list, unless the list already holds a newer state of it. */
  function merge(agent: Agent): void {
    const list = get().agents;
    const at = list.findIndex((a) => a.id === agent.id);
    if (at >= 0 && list[at]!.phase_at > agent.phase_at) return;
    const agents = at >= 0 ? list.map((a, i) => (i === at ? agent : a)) : [agent, ...list];
    set({ agents });
    noteDeployPhases([agent]);
  }

  function noteDeployPhases(agents: readonly Agent[]): void {
    const seen = get().lastDeployPhase;
    const next = { ...seen };
    let changed = false;
    for (const a of agents) {
      if (isDeploying(a.phase) && next[a.id] !== a.phase) {
        next[a.id] = a.phase;
        changed = true;
      }
    }
    if (changed) set({ lastDeployPhase: next });
  }

  async function onRow(id: string, what: RowBusy, run: () => Promise<void>): Promise<boolean> {
    if (get().busy[id]) return false;
    return onRowOf(set, get, id, what, run);
  }

  const usage = createUsageActions(set, get, getClient);

  async function loadList(): Promise<void> {
    set({ loading: true });
    const pushesBefore = get().pushes;
    try {
      const { agents } = await getClient().agents.list({});
      // A push that arrived while the call was in flight is at least as new as this answer.
      if (get().pushes === pushesBefore) get().applyAgents(agents);
      set({ loadError: null });
    } catch (err) {
      set({ loadError: toShownError(err) });
    } finally {
      set({ loading: false });
    }
  }

  return {
    ...usage,
    async load() {
      await Promise.all([loadList(), usage.loadUsage()]);
    },
    async loadCreateOptions() {
      const client = getClient();
      const [harnesses, providers] = await Promise.allSettled([
        client.harnesses.list({}),
        client.providers.list({}),
      ]);
      if (harnesses.status === 'fulfilled')
        set({ harnesses: harnesses.value.harnesses, harnessesError: null });
      else set({ harnessesError: toShownError(harnesses.reason) });
      if (providers.status === 'fulfilled')
        set({ providerNames: Object.fromEntries(providers.value.map((p) => [p.id, p.name])) });
    },
    applyAgents(agents) {
      const ids = new Set(agents.map((a) => a.id));
      const keep = <T>(rec: Record<string, T>): Record<string, T> =>
        Object.fromEntries(Object.entries(rec).filter(([id]) => ids.has(id)));
      // Progress lines only mean something while the agent deploys.
      const progress = Object.fromEntries(
        Object.entries(get().progress).filter(([id]) => {
          const a = agents.find((x) => x.id === id);
          return a !== undefined && isDeploying(a.phase);
        }),
      );
      const selected = get().selected;
      set({
        agents,
        loaded: true,
        progress,
        lastDeployPhase: keep(get().lastDeployPhase),
        rowErrors: keep(get().rowErrors),
        selected: selected && ids.has(selected.id) ? selected : null,
      });
      noteDeployPhases(agents);
    },
    applyProgress(p) {
      set({ progress: { ...get().progress, [p.id]: p } });
      if (isDeploying(p.phase)) set({ lastDeployPhase: { ...get().lastDeployPhase, [p.id]: p.phase } });
    },
    follow() {
      const client = getClient();
      const offChanged = client.on('agents.changed', (e) => {
        set({ pushes: get().pushes + 1 });
        get().applyAgents(e.agents);
      });
      const offProgress = client.on('agents.progress', (p) => get().applyProgress(p));
      const offUsage = usage.followUsage();
      return () => {
        offChanged();
        offProgress();
        offUsage();
      };
    },
    async create(input) {
      try {
        const agent = await getClient().agents.create(input);
        merge(agent);
        return { ok: true, agent };
      } catch (err) {
        return { ok: false, error: toShownError(err) };
      }
    },
    start: (id) => onRow(id, 'start', async () => merge(await getClient().agents.start({ id }))),
    stop: (id) => onRow(id, 'stop', async () => merge(await getClient().agents.stop({ id }))),
    archive: (id) => onRow(id, 'archive', async () => merge(await getClient().agents.archive({ id }))),
    restore: (id) => onRow(id, 'restore', async () => merge(await getClient().agents.restore({ id }))),
    purge: (id) =>
      onRow(id, 'purge', async () => {
        await getClient().agents.purge({ id });
        const selected = get().selected;
        set({
          agents: get().agents.filter((a) => a.id !== id),
          progress: without(get().progress, id),
          lastDeployPhase: without(get().lastDeployPhase, id),
          selected: selected?.id === id ? null : selected,
        });
      }),
    async setPolicy(id, change) {
      try {
        merge(await getClient().agents.policy({ id, ...change }));
        return null;
      } catch (err) {
        return toShownError(err);
      }
    },
    async setFolders(id, add, remove) {
      try {
        merge(await getClient().agents.folders({ id, add, remove }));
        return null;
      } catch (err) {
        return toShownError(err);
      }
    },
    clearRowError(id) {
      set({ rowErrors: without(get().rowErrors, id) });
    },
    async openLogs(id, tail = 200) {
      set({ logs: { id, loading: true, lines: [], error: null } });
      try {
        const { lines } = await getClient().agents.logs({ id, tail });
        if (get().logs?.id === id) set({ logs: { id, loading: false, lines, error: null } });
      } catch (err) {
        if (get().logs?.id === id) set({ logs: { id, loading: false, lines: [], error: toShownError(err) } });
      }
    },
    closeLogs() {
      set({ logs: null });
    },
    openPane(id, pane) {
      set({ selected: { id, pane } });
    },
    closePane() {
      set({ selected: null });
    },
  };
}
