// Tasks actions: load tasks and history, follow `tasks.changed` and `tasks.run`, create, edit, enable, run, cancel.
import type { StoreApi } from 'zustand/vanilla';
import type { Task, TaskCreateInput, TaskRun, TaskUpdateInput } from '../../../../../contract/tasks';
import type { ClientGetter } from '../../../stores/client';
import { toShownError } from '../../../stores/errors';
import type { ShownError } from '../../../stores/errors';
import { RUNS_KEPT } from './initial-state';
import type { RunFilters, TasksState } from './initial-state';
import { mergeRun, runPasses } from './selectors';

export interface TasksActions {
  /** Loads every task and the history of the current filters. */
  load(): Promise<void>;
  /** Reloads the history (`tasks.history`, newest first). */
  loadRuns(): Promise<void>;
  /** Changes the history's filters and reloads it. */
  setFilters(f: Partial<RunFilters>): Promise<void>;
  /** Adds a task; resolves to it, or to the error to show in the form (nothing thrown). */
  create(input: TaskCreateInput): Promise<{ task: Task } | { error: ShownError }>;
  /** Changes a task; resolves to it or to the error to show. */
  update(input: TaskUpdateInput): Promise<{ task: Task } | { error: ShownError }>;
  setEnabled(id: string, enabled: boolean): Promise<void>;
  remove(id: string): Promise<void>;
  /** "Run now". */
  runNow(id: string): Promise<void>;
  cancel(runId: string): Promise<void>;
  /** A new webhook secret; its URL is kept in `revealed`. */
  rotateSecret(id: string): Promise<void>;
  /** Hides the revealed webhook URL. */
  dismissRevealed(): void;
  /** Takes a `tasks.changed` list. */
  applyTasks(tasks: Task[]): void;
  /** Takes a `tasks.run` event. */
  applyRun(run: TaskRun): void;
  /** Subscribes to `tasks.changed` and `tasks.run`; returns the unsubscribe function. */
  follow(): () => void;
}

type Store = TasksState & TasksActions;
type Set = StoreApi<Store>['setState'];
type Get = StoreApi<Store>['getState'];

/** Builds the Tasks actions over the injected client. Failures are kept in state, never thrown. */
export function createTasksActions(set: Set, get: Get, getClient: ClientGetter): TasksActions {
  const withBusy = async (id: string, kind: TasksState['busy'][string], op: () => Promise<unknown>) => {
    set({ busy: { ...get().busy, [id]: kind } });
    const rowErrors = { ...get().rowErrors };
    delete rowErrors[id];
    set({ rowErrors });
    try {
      await op();
    } catch (err) {
      set({ rowErrors: { ...get().rowErrors, [id]: toShownError(err) } });
    } finally {
      const busy = { ...get().busy };
      delete busy[id];
      set({ busy });
    }
  };
  const putTask = (task: Task) => {
    const tasks = get().tasks.some((t) => t.id === task.id)
      ? get().tasks.map((t) => (t.id === task.id ? task : t))
      : [...get().tasks, task];
    set({ tasks });
  };
  return {
    async load() {
      set({ loading: true });
      try {
        const { tasks } = await getClient().tasks.list({});
        set({ tasks, loaded: true, error: null });
        await get().loadRuns();
      } catch (err) {
        set({ error: toShownError(err) });
      } finally {
        set({ loading: false });
      }
    },
    async loadRuns() {
      const { agentId, taskId, statuses } = get();
      const view = `${agentId}|${taskId}|${statuses.join(',')}`;
      try {
        const { runs } = await getClient().tasks.history({
          limit: RUNS_KEPT,
          ...(agentId ? { agent_id: agentId } : {}),
          ...(taskId ? { task_id: taskId } : {}),
          ...(statuses.length ? { status: statuses } : {}),
        });
        const s = get();
        if (`${s.agentId}|${s.taskId}|${s.statuses.join(',')}` === view) set({ runs, error: null });
      } catch (err) {
        set({ error: toShownError(err) });
      }
    },
    async setFilters(f) {
      set({ ...f, runs: [] });
      await get().loadRuns();
    },
    async create(input) {
      try {
        const r = await getClient().tasks.create(input);
        putTask(r.task);
        if (r.webhook_url_with_secret)
          set({ revealed: { taskId: r.task.id, url: r.webhook_url_with_secret } });
        return { task: r.task };
      } catch (err) {
        return { error: toShownError(err) };
      }
    },
    async update(input) {
      try {
        const task = await getClient().tasks.update(input);
        putTask(task);
        return { task };
      } catch (err) {
        return { error: toShownError(err) };
      }
    },
    setEnabled: (id, enabled) =>
      withBusy(id, 'toggle', async () => putTask(await getClient().tasks.setEnabled({ id, enabled }))),
    remove: (id) =>
      withBusy(id, 'remove', async () => {
        await getClient().tasks.remove({ id });
        set({
          tasks: get().tasks.filter((t) => t.id !== id),
          runs: get().runs.filter((r) => r.task_id !== id),
        });
      }),
    runNow: (id) => withBusy(id, 'run', async () => get().applyRun(await getClient().tasks.run({ id }))),
    cancel: (runId) =>
      withBusy(runId, 'cancel', async () =>
        get().applyRun(await getClient().tasks.cancel({ run_id: runId })),
      ),
    rotateSecret: (id) =>
      withBusy(id, 'secret', async () => {
        const r = await getClient().tasks.rotateSecret({ id });
        putTask(r.task);
        if (r.webhook_url_with_secret) set({ revealed: { taskId: id, url: r.webhook_url_with_secret } });
      }),
    dismissRevealed: () => set({ revealed: null }),
    applyTasks: (tasks) => set({ tasks, loaded: true }),
    applyRun(run) {
      const s = get();
      if (!runPasses(run, s)) return;
      set({ runs: mergeRun(s.runs, run).slice(0, RUNS_KEPT) });
    },
    follow() {
      const c = getClient();
      const offTasks = c.on('tasks.changed', (e) => get().applyTasks(e.tasks));
      const offRuns = c.on('tasks.run', (r) => get().applyRun(r));
      return () => {
        offTasks();
        offRuns();
      };
    },
  };
}
