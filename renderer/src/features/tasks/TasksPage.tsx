// Tasks page: every agent's tasks (next run, last result, enable, run now, edit) and the run history with filters.
import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import type { Task } from '../../../../contract/tasks';
import { EmptyState } from '../../components/EmptyState';
import { PageHeader } from '../../components/PageHeader';
import { agentsStore, useAgents } from '../../stores/agents';
import { LimitsDialog, usageStore, useUsage } from '../usage';
import { RevealedUrl } from './RevealedUrl';
import { RunHistory } from './RunHistory';
import { tasksStore, useTasks } from './store';
import { TaskDialog } from './TaskDialog';
import { TaskTable } from './TaskTable';
import { TasksIcon } from './TasksIcon';

/** Subscribes the stores a tasks view needs while it is shown. */
export function useTasksLive(): void {
  useEffect(() => {
    const offAgents = agentsStore.getState().follow();
    void agentsStore.getState().load();
    const offTasks = tasksStore.getState().follow();
    void tasksStore.getState().load();
    const offUsage = usageStore.getState().follow();
    void usageStore.getState().loadLimits();
    return () => {
      offAgents();
      offTasks();
      offUsage();
    };
  }, []);
}

/** The Tasks page (`#/tasks`). */
export function TasksPage(): ReactElement {
  useTasksLive();
  const agents = useAgents((s) => s.agents);
  const tasks = useTasks((s) => s.tasks);
  const loaded = useTasks((s) => s.loaded);
  const error = useTasks((s) => s.error);
  const limits = useUsage((s) => s.limits);
  const [dialog, setDialog] = useState<{ task?: Task } | null>(null);
  const [raise, setRaise] = useState<Agent | null>(null);
  const live = agents.filter((a) => a.phase !== 'archived');
  return (
    <>
      <PageHeader
        title="Tasks"
        description="Prompts your agents run on their own: on a schedule, every so often, once, or when a webhook is called — with a history of every run."
        actions={
          <button
            type="button"
            className="button button--primary"
            disabled={!live.length}
            onClick={() => setDialog({})}
            data-testid="task-new"
          >
            New task
          </button>
        }
      />
      {error && !error.unreachable ? (
        <p className="inline-error" role="alert">
          {error.message}
        </p>
      ) : null}
      <RevealedUrl />
      <section className="card" data-testid="tasks-card">
        {loaded && tasks.length === 0 ? (
          <EmptyState icon={<TasksIcon />} title="No tasks yet">
            {live.length
              ? 'Add one: a prompt and when to run it.'
              : 'Create an agent first; tasks run on agents.'}
          </EmptyState>
        ) : (
          <TaskTable tasks={tasks} agents={agents} onEdit={(t) => setDialog({ task: t })} />
        )}
      </section>
      <section className="card">
        <h2 className="card__title">History</h2>
        <RunHistory
          tasks={tasks}
          agents={agents}
          onRaiseBudget={(id) => setRaise(agents.find((a) => a.id === id) ?? null)}
        />
      </section>
      {dialog ? <TaskDialog agents={agents} task={dialog.task} onClose={() => setDialog(null)} /> : null}
      {raise ? (
        <LimitsDialog agent={raise} limits={limits[raise.id]} suggestRaise onClose={() => setRaise(null)} />
      ) : null}
    </>
  );
}
