// Composition of tasks and budgets: the usage ledger and spend limits (before the gateway), then tasks, runner and webhooks.
import { TraceQuery } from '../../contract/traces';
import type { Agent } from '../../contract/agents';
import type { EventBus } from '../platform/event-bus';
import type { Logger } from '../platform/logging';
import type { AgentService } from '../services/agents/agent-service';
import type { ChatRelay } from '../services/agents/chat-relay';
import { BudgetGuard } from '../services/llm/gateway/budget';
import type { SettingsStore } from '../services/settings/settings-store';
import type { Db } from '../services/storage/database';
import { TaskRepository } from '../services/tasks/task-repository';
import { TaskRunner } from '../services/tasks/task-runner';
import { TaskService } from '../services/tasks/task-service';
import { WebhookServer } from '../services/tasks/webhook-server';
import type { TraceRecorder } from '../services/traces/trace-recorder';
import { AgentLimitsStore } from '../services/usage/agent-limits';
import type { EffectiveLimits } from '../services/usage/agent-limits';
import { UsageLedger } from '../services/usage/usage-ledger';

type GuardLimits = EffectiveLimits & { name: string; slug: string };

/** Usage and spend limits, built before the gateway (which enforces them). */
export interface BudgetsWiring {
  ledger: UsageLedger;
  limits: AgentLimitsStore;
  guard: BudgetGuard;
}

/**
 * Builds the ledger (loaded from the database), the limits and the gateway's budget guard. `agentOf`
 * names an agent for the 429 messages; owners that are not agents have no agent limits.
 */
export function wireBudgets(d: {
  db: Db;
  settings: SettingsStore;
  bus: EventBus;
  /** The agent's name and slug; the same object while the agent is unchanged (answers are reused by identity). */
  agentOf: (id: string) => Pick<Agent, 'name' | 'slug'> | null;
}): BudgetsWiring {
  const ledger = new UsageLedger(d.db);
  ledger.load();
  const limits = new AgentLimitsStore(d.db, () => d.settings.peek());
  // Asked three times per gateway call: the combined answer is kept while its two parts are the same objects.
  const combined = new Map<string, { limits: EffectiveLimits; agent: object; answer: GuardLimits }>();
  const guard = new BudgetGuard({
    ledger,
    limitsOf: (owner) => {
      const agent = d.agentOf(owner);
      if (!agent) return null;
      const own = limits.get(owner);
      const known = combined.get(owner);
      if (known && known.limits === own && known.agent === agent) return known.answer;
      const answer = { ...own, name: agent.name, slug: agent.slug };
      if (combined.size > 10_000) combined.clear();
      combined.set(owner, { limits: own, agent, answer });
      return answer;
    },
    onAlert: (a) => d.bus.emit('usage.alert', a),
  });
  return { ledger, limits, guard };
}

/** Tasks, their runner and the webhook listener, built once the agents exist. */
export interface TasksWiring {
  tasks: TaskService;
  runner: TaskRunner;
  repo: TaskRepository;
  webhooks: WebhookServer;
  /** Recovers interrupted runs; when `schedule`, starts the scheduler and the webhook listener. */
  init(schedule: boolean): Promise<void>;
  shutdown(): Promise<void>;
}

/** Builds the tasks side with plain constructors (no I/O until `init`). */
export function wireTasks(d: {
  db: Db;
  agents: AgentService;
  chat: ChatRelay;
  recorder: Pick<TraceRecorder, 'query'>;
  budgets: BudgetsWiring;
  /** True while models can be called (LiteLLM ready, or idle with no model to serve). */
  modelsReady: () => boolean;
  settings: SettingsStore;
  bus: EventBus;
  log: Logger;
}): TasksWiring {
  const log = d.log.child({ service: 'tasks' });
  const repo = new TaskRepository(d.db);
  let tasks: TaskService | null = null;
  const runner = new TaskRunner({
    repo,
    agents: d.agents,
    chat: (input) => d.chat.chat(input),
    usageOf: async (agentId, traceId) => {
      const page = await d.recorder.query(
        TraceQuery.parse({ agent_id: agentId, trace_id: traceId, kinds: ['llm_call'], limit: 1000 }),
      );
      if (!page.events.length) return null;
      let tin = 0;
      let tout = 0;
      let usd: number | null = null;
      for (const e of page.events) {
        tin += e.tokens_in ?? 0;
        tout += e.tokens_out ?? 0;
        if (e.cost_usd !== null) usd = (usd ?? 0) + e.cost_usd;
      }
      return { tokens_in: tin, tokens_out: tout, cost_usd: usd };
    },
    budgetRefusal: (id) => d.budgets.guard.refusal(id),
    modelsReady: d.modelsReady,
    onRun: (run) => {
      d.bus.emit('tasks.run', run);
      if (run.status !== 'queued' && run.status !== 'running') tasks?.changed();
    },
    log,
  });
  const webhooks = new WebhookServer({
    target: {
      checkHook: (id, secret) => tasks!.checkHook(id, secret),
      fireHook: (t, body) => tasks!.fireHook(t, body),
    },
    log: log.child({ part: 'webhooks' }),
  });
  tasks = new TaskService({
    repo,
    runner,
    agent: (id) => d.agents.get(id),
    webhookBase: () => webhooks.url,
    onChange: (list) => d.bus.emit('tasks.changed', { tasks: list }),
    log,
  });
  const service = tasks;
  const offAgents = d.bus.on('agents.changed', (e) =>
    service.pruneAgents(new Set(e.agents.map((a) => a.id))),
  );

  /** Listens where the settings say; a port of 0 becomes the free port chosen, kept for next time. */
  const listen = async (): Promise<void> => {
    const s = d.settings.get();
    try {
      await webhooks.start(s.webhook_listen, s.webhook_port);
      if (s.webhook_port === 0) d.settings.update({ webhook_port: webhooks.port });
      log.info({ url: webhooks.url }, 'task webhooks listening');
    } catch (err) {
      log.error({ err, listen: s.webhook_listen, port: s.webhook_port }, 'task webhooks could not listen');
    }
  };
  let offSettings: () => void = () => {};

  return {
    tasks: service,
    runner,
    repo,
    webhooks,
    init: async (schedule) => {
      service.init(schedule);
      if (!schedule) return;
      await listen();
      let where = `${d.settings.get().webhook_listen}:${d.settings.get().webhook_port}`;
      offSettings = d.bus.on('settings.changed', (s) => {
        const next = `${s.webhook_listen}:${s.webhook_port}`;
        if (next === where) return;
        where = next;
        void webhooks
          .close()
          .then(listen)
          .then(() => service.changed());
      });
    },
    shutdown: async () => {
      offAgents();
      offSettings();
      service.shutdown();
      await webhooks.close();
      await runner.shutdown();
    },
  };
}
