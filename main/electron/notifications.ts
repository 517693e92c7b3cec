// Desktop notifications: an agent failed, LiteLLM failed, a deploy finished, a task run failed (or succeeded, if asked) or a budget neared while the window was hidden.
import { Notification } from 'electron';
import type { TaskRun } from '../../contract/tasks';
import type { UsageAlert } from '../../contract/usage';
import type { TrayAgent, TrayLlm } from './tray-menu';

/** One notification to show. */
export interface DesktopNotice {
  title: string;
  body: string;
}

/** Deploy phases before `running` (contract/agents.ts DEPLOY_PHASES without `starting`, which a plain start also passes). */
const DEPLOYING = new Set<string>(['creating', 'provisioning', 'verifying']);

/**
 * Turns bus snapshots into notices, each once per transition:
 * - an agent enters `failed` (title with its emoji and name, body = its reason);
 * - LiteLLM enters `failed` (crashed too often; body = its last error or detail);
 * - an agent that was deploying enters `running` while `isWindowVisible()` is false.
 * The first snapshot is a baseline: what is already failed at start is not news.
 */
export class NoticeTracker {
  private phases = new Map<string, string>();
  private deploying = new Set<string>();
  private llmState: string | null = null;

  constructor(
    private readonly deps: {
      notify: (notice: DesktopNotice) => void;
      isWindowVisible: () => boolean;
    },
    baseline: { agents: readonly TrayAgent[]; llm: TrayLlm | null },
  ) {
    for (const a of baseline.agents) this.see(a);
    this.llmState = baseline.llm?.litellm.state ?? null;
  }

  /** Handles an `agents.changed` snapshot (every agent). */
  onAgents(agents: readonly TrayAgent[]): void {
    const next = new Map<string, string>();
    for (const a of agents) {
      const before = this.phases.get(a.id);
      next.set(a.id, a.phase);
      if (a.phase === before) continue;
      if (a.phase === 'failed')
        this.deps.notify({
          title: `${a.emoji} ${a.name} failed`,
          body: a.phase_reason ?? 'Open Agent Desk to see its last log lines.',
        });
      if (a.phase === 'running' && this.deploying.has(a.id) && !this.deps.isWindowVisible())
        this.deps.notify({ title: `${a.emoji} ${a.name} is running`, body: 'Its deploy finished.' });
      this.see(a);
    }
    for (const id of this.phases.keys()) if (!next.has(id)) this.deploying.delete(id);
    this.phases = next;
  }

  /** Handles an `llm.status` event. */
  onLlm(status: TrayLlm & { litellm: { last_error?: string | null } }): void {
    const state = status.litellm.state;
    if (state === 'failed' && this.llmState !== 'failed')
      this.deps.notify({
        title: 'LiteLLM failed',
        body: `${status.litellm.last_error ?? status.litellm.detail} Agents cannot reach their models.`.trim(),
      });
    this.llmState = state;
  }

  /**
   * Handles a `tasks.run` event while the window is hidden: a failed run always notifies (its error and
   * hint), a succeeded one when its task asks for it (`notify_success`), each once per run.
   */
  onRun(
    run: Pick<TaskRun, 'id' | 'status' | 'error' | 'hint' | 'answer'>,
    task: { name: string; notify_success: boolean } | null,
    agent: Pick<TrayAgent, 'emoji' | 'name'> | null,
  ): void {
    if (this.deps.isWindowVisible() || this.runsSeen.has(run.id)) return;
    const who = agent ? `${agent.emoji} ${agent.name}` : 'An agent';
    const what = task ? `“${task.name}”` : 'a task';
    if (run.status === 'failed') {
      this.runsSeen.add(run.id);
      this.deps.notify({
        title: `${who}: ${what} failed`,
        body: `${run.error ?? 'The run failed.'}${run.hint ? ` ${run.hint}.` : ''}`.slice(0, 300),
      });
    } else if (run.status === 'succeeded' && task?.notify_success) {
      this.runsSeen.add(run.id);
      this.deps.notify({
        title: `${who}: ${what} done`,
        body: (run.answer ?? '').slice(0, 300) || 'The run succeeded.',
      });
    }
    if (this.runsSeen.size > 1000) this.runsSeen.clear();
  }

  /** Handles a `usage.alert` event while the window is hidden: an agent at 80 % or 100 % of a budget. */
  onUsageAlert(alert: UsageAlert, agent: Pick<TrayAgent, 'emoji' | 'name'> | null): void {
    if (this.deps.isWindowVisible()) return;
    const who = agent ? `${agent.emoji} ${agent.name}` : 'An agent';
    const period = alert.limit === 'day' ? 'daily' : 'monthly';
    const spent = `$${alert.spent_usd.toFixed(2)} of $${alert.limit_usd.toFixed(2)}`;
    this.deps.notify(
      alert.level === 'reached'
        ? {
            title: `${who} reached its ${period} budget`,
            body: `${spent} spent: its model calls are refused until the budget resets or is raised.`,
          }
        : { title: `${who} used 80 % of its ${period} budget`, body: `${spent} spent.` },
    );
  }

  private readonly runsSeen = new Set<string>();

  private see(a: TrayAgent): void {
    this.phases.set(a.id, a.phase);
    if (DEPLOYING.has(a.phase)) this.deploying.add(a.id);
    else if (a.phase !== 'starting') this.deploying.delete(a.id);
  }
}

/**
 * Shows `notice` with Electron's `Notification`; a click calls `onClick` (open the window). Does
 * nothing where notifications are not supported (`Notification.isSupported()`). Shown notifications
 * are kept referenced until clicked or closed: an unreferenced `Notification` can be garbage-collected
 * together with its listeners, and the click would go unheard.
 */
export function showDesktopNotice(notice: DesktopNotice, onClick: () => void): void {
  if (!Notification.isSupported()) return;
  const n = new Notification({ title: notice.title, body: notice.body });
  live.add(n);
  n.on('click', () => {
    live.delete(n);
    onClick();
  });
  n.on('close', () => live.delete(n));
  n.show();
}

const live = new Set<Notification>();
