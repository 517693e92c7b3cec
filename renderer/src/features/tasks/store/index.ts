// The Tasks store (its own, beside the feature): every task and the run history, live.
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { getClient } from '../../../stores/client';
import type { ClientGetter } from '../../../stores/client';
import { createTasksActions } from './actions';
import type { TasksActions } from './actions';
import { initialTasksState } from './initial-state';
import type { TasksState } from './initial-state';

export type TasksStore = TasksState & TasksActions;

/** Creates a Tasks store (the app uses {@link tasksStore}; tests make their own with a fake client). */
export function createTasksStore(client: ClientGetter = getClient): StoreApi<TasksStore> {
  return createStore<TasksStore>()((set, get) => ({
    ...initialTasksState,
    ...createTasksActions(set, get, client),
  }));
}

/** The window's Tasks store. */
export const tasksStore = createTasksStore();

/** React hook reading a slice of {@link tasksStore}. */
export function useTasks<T>(selector: (s: TasksStore) => T): T {
  return useStore(tasksStore, selector);
}

export * from './selectors';
export type { TasksState, RunFilters } from './initial-state';
