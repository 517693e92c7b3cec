// Derived views of the Tasks state: filters, run merging, labels for triggers, times and statuses.
import type { Task, TaskRun, TaskTrigger } from '../../../../../contract/tasks';
import { describeInterval } from '../../../../../contract/task-format';
import { absoluteTime } from '../../../app/time';
import type { BadgeTone } from '../../../components/Badge';
import type { RunFilters } from './initial-state';

/** True when `run` belongs in a history with these filters. */
export function runPasses(run: TaskRun, f: RunFilters): boolean {
  if (f.agentId && run.agent_id !== f.agentId) return false;
  if (f.taskId && run.task_id !== f.taskId) return false;
  return f.statuses.length === 0 || f.statuses.includes(run.status);
}

/** `runs` (newest first) with `run` replacing its earlier version or added in queue order. */
export function mergeRun(runs: readonly TaskRun[], run: TaskRun): TaskRun[] {
  const rest = runs.filter((r) => r.id !== run.id);
  const i = rest.findIndex((r) => r.queued_at < run.queued_at);
  return i === -1 ? [...rest, run] : [...rest.slice(0, i), run, ...rest.slice(i)];
}

/** "every 15 min", "cron 0 9 * * 1-5 · Europe/Paris", "once · 1 Jun 09:00" (see app/time.ts), "webhook". */
export function triggerLabel(t: TaskTrigger): string {
  switch (t.kind) {
    case 'cron':
      return `cron ${t.cron}${t.tz ? ` · ${t.tz}` : ''}`;
    case 'interval':
      return describeInterval(t.every_s);
    case 'once':
      return `once · ${absoluteTime(t.at)}`;
    case 'webhook':
      return 'webhook';
  }
}

/** "in 4 min", "in 2 h 5 min", "in 3 d", "due now". */
export function untilLabel(at: number, now: number): string {
  const s = Math.round((at - now) / 1000);
  if (s <= 0) return 'due now';
  if (s < 60) return `in ${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `in ${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `in ${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `in ${Math.round(h / 24)} d`;
}

/** The badge of a run status. */
export function statusTone(status: TaskRun['status']): BadgeTone {
  return status === 'succeeded'
    ? 'ok'
    : status === 'failed'
      ? 'danger'
      : status === 'running' || status === 'queued'
        ? 'progress'
        : status === 'skipped'
          ? 'warn'
          : 'neutral';
}

/** The next-run cell: "in 5 min", "disabled", "on webhook", "done" (a one-shot that ran). */
export function nextRunLabel(t: Task, now: number): string {
  if (!t.enabled) return 'disabled';
  if (t.trigger.kind === 'webhook') return 'on webhook';
  if (t.next_run_at === null) return 'done';
  return untilLabel(t.next_run_at, now);
}

/** The soonest next run of each agent's enabled tasks, by agent id (the tray and agent lines). */
export function nextRunByAgent(tasks: readonly Task[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tasks)
    if (t.enabled && t.next_run_at !== null && t.next_run_at < (m.get(t.agent_id) ?? Infinity))
      m.set(t.agent_id, t.next_run_at);
  return m;
}

/** A run's tokens and cost, e.g. "1 204 tok · $0.0031"; empty when unknown. */
export function usageLabel(r: TaskRun): string {
  if (r.tokens_in === null && r.cost_usd === null) return '';
  const tok = (r.tokens_in ?? 0) + (r.tokens_out ?? 0);
  return `${tok.toLocaleString()} tok${r.cost_usd !== null ? ` · $${r.cost_usd.toFixed(r.cost_usd < 0.01 ? 4 : 2)}` : ''}`;
}
