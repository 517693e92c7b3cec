// Opens a run's trace: the Traces page on the run's agent and thread, where its turn is grouped by trace id.
import type { TaskRun } from '../../../../contract/tasks';
import { hashFor } from '../../app/route';
import { tracesStore } from '../../stores/traces';

/** Shows the Traces page filtered to the run's agent and thread (a fresh thread holds only this run's turn). */
export async function openRunTrace(run: Pick<TaskRun, 'agent_id' | 'thread_id'>): Promise<void> {
  const traces = tracesStore.getState();
  await traces.open(run.agent_id);
  if (run.thread_id) await tracesStore.getState().setThread(run.thread_id);
  window.location.hash = hashFor('traces');
}
