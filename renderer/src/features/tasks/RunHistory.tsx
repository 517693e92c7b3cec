// The run history with filters: status, when, duration, tokens and cost, the answer or the error with its hint, trace and cancel.
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import type { Task, TaskRun, TaskRunStatus } from '../../../../contract/tasks';
import { AgentFilter } from '../../components/AgentFilter';
import { Badge } from '../../components/Badge';
import { useNow } from '../system/use-now';
import { openRunTrace } from './open-trace';
import { statusTone, tasksStore, usageLabel, useTasks } from './store';
import { Time } from '../../components/Time';

const STATUSES: TaskRunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];

/** One run (`task-run` with `data-status`). `onRaiseBudget` is offered when a budget stopped it. */
function RunRow({
  run,
  task,
  agent,
  now,
  onRaiseBudget,
}: {
  run: TaskRun;
  task: Task | undefined;
  agent: Agent | undefined;
  now: number;
  onRaiseBudget?: (agentId: string) => void;
}): ReactElement {
  const busy = useTasks((s) => s.busy[run.id]);
  const open = run.status === 'queued' || run.status === 'running';
  return (
    <li className="run" data-testid="task-run" data-status={run.status} data-run={run.id}>
      <div className="run__head">
        <Badge tone={statusTone(run.status)} label={run.status} />
        <span className="run__title">
          {task?.name ?? 'removed task'}
          {agent ? (
            <span className="muted">
              {' '}
              · {agent.emoji} {agent.name}
            </span>
          ) : null}
        </span>
        <span className="muted small">
          {run.trigger === 'catch_up' ? 'catch-up · ' : run.trigger !== 'schedule' ? `${run.trigger} · ` : ''}
          <Time at={run.ended_at ?? run.started_at ?? run.queued_at} now={now} form="ago" />
          {run.duration_ms !== null ? ` · ${(run.duration_ms / 1000).toFixed(1)} s` : ''}
          {usageLabel(run) ? ` · ${usageLabel(run)}` : ''}
        </span>
        <span className="row-actions">
          {run.trace_id ? (
            <button
              type="button"
              className="button button--small"
              onClick={() => void openRunTrace(run)}
              data-testid="run-open-trace"
            >
              Open trace
            </button>
          ) : null}
          {open ? (
            <button
              type="button"
              className="button button--small"
              disabled={busy === 'cancel'}
              onClick={() => void tasksStore.getState().cancel(run.id)}
              data-testid="run-cancel"
            >
              Cancel
            </button>
          ) : null}
          {run.error_code === 'budget' && onRaiseBudget ? (
            <button
              type="button"
              className="button button--small button--primary"
              onClick={() => onRaiseBudget(run.agent_id)}
              data-testid="run-raise-budget"
            >
              Raise the budget
            </button>
          ) : null}
        </span>
      </div>
      {run.answer ? (
        <p className="run__answer" data-testid="run-answer">
          {run.answer}
        </p>
      ) : null}
      {run.error ? (
        <p className={run.status === 'failed' ? 'inline-error' : 'card__note'} data-testid="run-error">
          {run.error}
          {run.hint ? <span className="run__hint"> {run.hint}.</span> : null}
        </p>
      ) : null}
    </li>
  );
}

/** The history card: filters (agent, task, status) and the runs, newest first, live. */
export function RunHistory({
  tasks,
  agents,
  fixedAgentId,
  onRaiseBudget,
}: {
  tasks: readonly Task[];
  agents: readonly Agent[];
  /** Only this agent's runs, without an agent filter (the agent's own tasks section). */
  fixedAgentId?: string;
  onRaiseBudget?: (agentId: string) => void;
}): ReactElement {
  const now = useNow(true, 10_000);
  const runs = useTasks((s) => s.runs);
  const f = {
    agentId: useTasks((s) => s.agentId),
    taskId: useTasks((s) => s.taskId),
    statuses: useTasks((s) => s.statuses),
  };
  const store = tasksStore.getState();
  const taskById = new Map(tasks.map((t) => [t.id, t]));
  const agentById = new Map(agents.map((a) => [a.id, a]));
  const shown = fixedAgentId ? runs.filter((r) => r.agent_id === fixedAgentId) : runs;
  return (
    <div className="run-history" data-testid="run-history">
      <div className="run-history__filters">
        {fixedAgentId ? null : (
          <label>
            <span className="small muted">Agent</span>
            <AgentFilter
              className="input"
              agents={agents}
              value={f.agentId}
              onChange={(id) => void store.setFilters({ agentId: id })}
              testId="runs-filter-agent"
            />
          </label>
        )}
        <label>
          <span className="small muted">Task</span>
          <select
            className="input"
            value={f.taskId ?? ''}
            onChange={(e) => void store.setFilters({ taskId: e.target.value || null })}
            data-testid="runs-filter-task"
          >
            <option value="">All tasks</option>
            {tasks
              .filter((t) => !fixedAgentId || t.agent_id === fixedAgentId)
              .map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
          </select>
        </label>
        <label>
          <span className="small muted">Status</span>
          <select
            className="input"
            value={f.statuses[0] ?? ''}
            onChange={(e) =>
              void store.setFilters({ statuses: e.target.value ? [e.target.value as TaskRunStatus] : [] })
            }
            data-testid="runs-filter-status"
          >
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      {shown.length === 0 ? (
        <p className="muted" data-testid="runs-empty">
          No runs yet.
        </p>
      ) : (
        <ul className="runs">
          {shown.map((r) => (
            <RunRow
              key={r.id}
              run={r}
              task={taskById.get(r.task_id)}
              agent={agentById.get(r.agent_id)}
              now={now}
              onRaiseBudget={onRaiseBudget}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
