// The task section of one agent (the "Tasks" pane beside the agents list): its tasks, limits and recent runs.
import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import type { Task } from '../../../../contract/tasks';
import { Badge } from '../../components/Badge';
import { useAgents } from '../../stores/agents';
import type { AgentPaneProps } from '../agents/panes';
import { LimitsDialog, limitBadge, usageStore, useUsage } from '../usage';
import { usd } from '../usage/store';
import { RevealedUrl } from './RevealedUrl';
import { RunHistory } from './RunHistory';
import { tasksStore, useTasks } from './store';
import { TaskDialog } from './TaskDialog';
import { TaskTable } from './TaskTable';

/** The agent's tasks (add, edit, run now), its spend limits (edit), and its runs. */
export function AgentTasksPane({ agent }: AgentPaneProps): ReactElement {
  useEffect(() => {
    const offTasks = tasksStore.getState().follow();
    void tasksStore.getState().load();
    const offUsage = usageStore.getState().follow();
    void usageStore.getState().loadLimits();
    return () => {
      offTasks();
      offUsage();
    };
  }, []);
  const agents = useAgents((s) => s.agents);
  const all = useTasks((s) => s.tasks);
  const tasks = all.filter((t) => t.agent_id === agent.id);
  const limits = useUsage((s) => s.limits[agent.id]);
  const [dialog, setDialog] = useState<{ task?: Task } | null>(null);
  const [editLimits, setEditLimits] = useState(false);
  const badge = limitBadge(limits);
  return (
    <div className="agent-tasks" data-testid="agent-tasks">
      <div className="agent-tasks__limits" data-testid="agent-limits">
        <span>
          Today {limits ? `${usd(limits.spent_day)} of ${usd(limits.usd_day)}` : '—'} · month{' '}
          {limits ? `${usd(limits.spent_month)} of ${usd(limits.usd_month)}` : '—'} · {limits?.rpm ?? '—'}/min
        </span>
        {badge ? <Badge tone={badge.tone} label={badge.label} testId="agent-limit-badge" /> : null}
        <button
          type="button"
          className="button button--small"
          onClick={() => setEditLimits(true)}
          data-testid="agent-edit-limits"
        >
          Limits
        </button>
      </div>
      <RevealedUrl />
      {tasks.length ? (
        <TaskTable tasks={tasks} agents={agents} showAgent={false} onEdit={(t) => setDialog({ task: t })} />
      ) : (
        <p className="muted">No tasks for {agent.name} yet.</p>
      )}
      <div>
        <button
          type="button"
          className="button button--small button--primary"
          onClick={() => setDialog({})}
          data-testid="agent-task-new"
        >
          Add a task
        </button>
      </div>
      <RunHistory
        tasks={all}
        agents={agents}
        fixedAgentId={agent.id}
        onRaiseBudget={() => setEditLimits(true)}
      />
      {dialog ? (
        <TaskDialog agents={agents} agentId={agent.id} task={dialog.task} onClose={() => setDialog(null)} />
      ) : null}
      {editLimits ? (
        <LimitsDialog agent={agent} limits={limits} onClose={() => setEditLimits(false)} />
      ) : null}
    </div>
  );
}
