// Handlers for the `tasks` and `usage` groups, and the spend limits given at `agents.create`.
import type { Agent } from '../../contract/agents';
import { AppError } from '../../contract/errors';
import type { BudgetGuard } from '../services/llm/gateway/budget';
import type { TaskRunner } from '../services/tasks/task-runner';
import type { TaskService } from '../services/tasks/task-service';
import { runDto } from '../services/tasks/task-repository';
import type { TaskRepository } from '../services/tasks/task-repository';
import type { AgentLimitsStore } from '../services/usage/agent-limits';
import type { UsageLedger } from '../services/usage/usage-ledger';
import type { Handlers } from '../../contract/handlers';

/** Builds the `tasks` handlers. */
export function tasksHandlers(
  tasks: TaskService,
  runner: TaskRunner,
  repo: TaskRepository,
): Handlers['tasks'] {
  return {
    list: ({ agent_id }) => ({ tasks: tasks.list(agent_id) }),
    get: ({ id }) => tasks.get(id),
    create: (input) => tasks.create(input),
    update: (input) => tasks.update(input),
    remove: ({ id }) => ({ id, removed: tasks.remove(id) }),
    setEnabled: ({ id, enabled }) => tasks.setEnabled(id, enabled),
    run: ({ id }) => tasks.runNow(id),
    cancel: ({ run_id }) => runner.cancel(run_id),
    history: (q) => ({ runs: repo.history(q).map(runDto) }),
    rotateSecret: ({ id }) => tasks.rotateSecret(id),
  };
}

/** What the `usage` handlers need of the agents. */
export interface UsageAgents {
  /** @throws AppError NOT_FOUND */
  get(id: string): Agent;
  list(): Agent[];
}

/** Builds the `usage` handlers. Limits are listed for every agent that is not archived. */
export function usageHandlers(d: {
  agents: UsageAgents;
  ledger: UsageLedger;
  limits: AgentLimitsStore;
  guard: BudgetGuard;
}): Handlers['usage'] {
  const stateOf = (id: string) => {
    const s = d.guard.state(id);
    if (!s) throw new AppError('NOT_FOUND', `No agent ${id}; see agents.list`);
    return s;
  };
  return {
    summary: (q) => {
      if (q.agent_id) d.agents.get(q.agent_id);
      if (q.since && q.until && q.since > q.until)
        throw new AppError('INVALID_INPUT', `since (${q.since}) is after until (${q.until})`);
      return d.ledger.summary(q);
    },
    limits: ({ agent_id }) => {
      if (agent_id) return { limits: [stateOf(d.agents.get(agent_id).id)] };
      return {
        limits: d.agents
          .list()
          .filter((a) => a.phase !== 'archived')
          .map((a) => stateOf(a.id)),
      };
    },
    setLimits: ({ agent_id, ...patch }) => {
      d.agents.get(agent_id);
      d.limits.set(agent_id, patch);
      return stateOf(agent_id);
    },
  };
}

/**
 * Wraps `agents.create` so the spend limits given there (`budget_day_usd`, `budget_month_usd`, `rpm`,
 * validated by the contract before anything is created) are stored with the new agent.
 */
export function withLimitsAtCreate(
  handlers: Handlers['agents'],
  limits: AgentLimitsStore,
): Handlers['agents'] {
  return {
    ...handlers,
    create: async (input, ctx) => {
      const agent = await handlers.create(input, ctx);
      const { budget_day_usd, budget_month_usd, rpm } = input;
      if (budget_day_usd !== undefined || budget_month_usd !== undefined || rpm !== undefined)
        limits.set(agent.id, { usd_day: budget_day_usd, usd_month: budget_month_usd, rpm });
      return agent;
    },
  };
}
