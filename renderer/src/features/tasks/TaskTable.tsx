// The list of tasks: agent, trigger, next run, last result, enable switch, run now, edit, remove.
import type { ReactElement } from 'react';
import { ActionsHeader } from '../../components/ActionsHeader';
import type { Agent } from '../../../../contract/agents';
import type { Task } from '../../../../contract/tasks';
import { Badge } from '../../components/Badge';
import { useNow } from '../system/use-now';
import { nextRunLabel, statusTone, triggerLabel, useTasks } from './store';
import { tasksStore } from './store';
import { Time } from '../../components/Time';

/** One table of `tasks` (`task-row` rows with `data-task` = the task's name). */
export function TaskTable({
  tasks,
  agents,
  onEdit,
  showAgent = true,
}: {
  tasks: readonly Task[];
  agents: readonly Agent[];
  onEdit: (t: Task) => void;
  showAgent?: boolean;
}): ReactElement {
  const now = useNow(true, 5000);
  const busy = useTasks((s) => s.busy);
  const rowErrors = useTasks((s) => s.rowErrors);
  const byId = new Map(agents.map((a) => [a.id, a]));
  const store = tasksStore.getState();
  return (
    <div className="agents-table__wrap">
      <table className="agents-table tasks-table" data-testid="tasks-table">
        <thead>
          <tr>
            <th scope="col">Task</th>
            {showAgent ? <th scope="col">Agent</th> : null}
            <th scope="col">When</th>
            <th scope="col">Next run</th>
            <th scope="col">Last result</th>
            <ActionsHeader />
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => {
            const a = byId.get(t.agent_id);
            const last = t.last_run;
            const err = rowErrors[t.id];
            return (
              <tr key={t.id} data-testid="task-row" data-task={t.name} data-enabled={t.enabled}>
                <th scope="row" className="tasks-table__name">
                  {t.name}
                  {err ? (
                    <p className="inline-error" role="alert">
                      {err.message}
                    </p>
                  ) : null}
                </th>
                {showAgent ? <td>{a ? `${a.emoji} ${a.name}` : 'removed agent'}</td> : null}
                <td className="tasks-table__trigger">{triggerLabel(t.trigger)}</td>
                <td data-testid="task-next-run">{nextRunLabel(t, now)}</td>
                <td data-testid="task-last-result">
                  {last ? (
                    <span title={last.error ?? undefined}>
                      <Badge tone={statusTone(last.status)} label={last.status} />{' '}
                      <Time
                        className="muted small"
                        at={last.ended_at ?? last.queued_at}
                        now={now}
                        form="ago"
                      />
                    </span>
                  ) : (
                    <span className="muted">never run</span>
                  )}
                </td>
                <td>
                  <div className="row-actions">
                    <label className="tasks-table__switch">
                      <input
                        type="checkbox"
                        role="switch"
                        className="switch"
                        checked={t.enabled}
                        disabled={busy[t.id] === 'toggle'}
                        onChange={(e) => void store.setEnabled(t.id, e.target.checked)}
                        aria-label={`${t.enabled ? 'Disable' : 'Enable'} ${t.name}`}
                        data-testid="task-enabled"
                      />
                    </label>
                    <button
                      type="button"
                      className="button button--small"
                      disabled={busy[t.id] === 'run'}
                      onClick={() => void store.runNow(t.id)}
                      data-testid="task-run-now"
                    >
                      {busy[t.id] === 'run' ? 'Queuing…' : 'Run now'}
                    </button>
                    <button
                      type="button"
                      className="button button--small"
                      onClick={() => onEdit(t)}
                      data-testid="task-edit"
                    >
                      Edit
                    </button>
                    {t.trigger.kind === 'webhook' ? (
                      <button
                        type="button"
                        className="button button--small"
                        onClick={() => void store.rotateSecret(t.id)}
                        data-testid="task-secret"
                        title="A new secret: the old URL stops working"
                      >
                        New URL
                      </button>
                    ) : null}
                    <button
                      type="button"
                      className="button button--small button--danger"
                      disabled={busy[t.id] === 'remove'}
                      onClick={() => {
                        if (window.confirm(`Remove the task “${t.name}” and its history?`))
                          void store.remove(t.id);
                      }}
                      data-testid="task-remove"
                    >
                      Remove
                    </button>
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
