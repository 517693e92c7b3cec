// Tasks: create/edit/remove, the scheduler (cron, interval, once) with its missed-run policy, and recovery after a crash.
import crypto from 'node:crypto';
import type { Agent } from '../../../contract/agents';
import { AppError } from '../../../contract/errors';
import type { Task, TaskCreateInput, TaskRun, TaskUpdateInput } from '../../../contract/tasks';
import type { Logger } from '../../platform/logging';
import { randomBase62 } from '../llm/virtual-keys';
import { newRunRow, runDto } from './task-repository';
import type { TaskRepository, TaskRow } from './task-repository';
import { interrupted } from './task-runner';
import type { TaskRunner } from './task-runner';
import { describeTrigger, nextFire, normalizeTrigger } from './task-schedule';

/**
 * A due run later than this after its time was missed (the core was not running, the machine slept,
 * the clock jumped) and is handled by the task's missed-run policy instead of just running late, ms.
 */
export const MISSED_GRACE_MS = 60_000;
/** The scheduler looks at the clock at least this often, so sleep and clock changes are noticed, ms. */
export const TICK_MAX_MS = 30_000;
/** Webhook secrets: this prefix and 43 base62 characters (≥ 256 bits). */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** What the service needs. */
export interface TaskServiceDeps {
  repo: TaskRepository;
  runner: TaskRunner;
  /** @throws AppError NOT_FOUND */
  agent(id: string): Agent;
  /** Base URL of the webhook listener (`http://127.0.0.1:<port>`), `null` while it does not listen. */
  webhookBase(): string | null;
  /** Every task changed (the `tasks.changed` event). */
  onChange(tasks: Task[]): void;
  log: Logger;
  now?: () => number;
}

/** SHA-256 hex of a webhook secret: the only form in which it is stored. */
export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

/**
 * Tasks of agents (docs/decisions/013-tasks-and-budgets.md). The scheduler keeps one timer, set to the
 * earliest `next_run_at` (at most {@link TICK_MAX_MS} away). At each tick, a due task whose time passed
 * less than {@link MISSED_GRACE_MS} ago runs (late but on its schedule); one older than that was missed
 * — the core was not running or the machine slept — and gets exactly one catch-up run (`run_once`) or
 * one `skipped` record with `missed` (`skip`), however many times it was missed. Then its next time is
 * the first one after now: never a burst. At {@link init}, runs left `queued` or `running` by a core that
 * was killed are marked failed ("interrupted").
 */
export class TaskService {
  private timer: NodeJS.Timeout | null = null;
  private scheduling = false;
  private readonly now: () => number;

  constructor(private readonly d: TaskServiceDeps) {
    this.now = d.now ?? Date.now;
  }

  /**
   * Marks runs a previous core left open as failed ("interrupted"), then (when `schedule`) starts the
   * scheduler; a core started for one CLI command passes `false` and only runs what it is asked to.
   */
  init(schedule: boolean): void {
    for (const run of this.d.repo.openRuns()) {
      const why =
        run.status === 'running'
          ? 'Agent Desk stopped during this run (quit, crash or kill)'
          : 'Agent Desk stopped before this run started';
      const end = this.now();
      const done = this.d.repo.patchRun(run.id, {
        ended_at: end,
        duration_ms: run.started_at !== null ? end - run.started_at : null,
        ...interrupted(why),
      });
      if (done)
        this.d.log.warn({ run: run.id, task: run.task_id }, 'task run interrupted by the previous core');
    }
    if (schedule) {
      this.scheduling = true;
      this.tick();
    }
  }

  /** Stops the scheduler (runs are ended by the runner's shutdown). */
  shutdown(): void {
    this.scheduling = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Every task, or one agent's, with its last run. */
  list(agentId?: string): Task[] {
    return this.d.repo.list(agentId).map((t) => this.dto(t));
  }

  /** @throws AppError NOT_FOUND */
  get(id: string): Task {
    return this.dto(this.row(id));
  }

  /**
   * Adds a task. @returns it, and for a webhook task its URL with the secret (never shown again).
   * @throws AppError NOT_FOUND (agent), CONFLICT (archived agent), INVALID_INPUT (cron, time zone, a
   *   one-shot time in the past, a webhook without its listener) naming the field with a valid example.
   */
  create(input: TaskCreateInput & { trigger: TaskRow['trigger'] }): {
    task: Task;
    webhook_url_with_secret: string | null;
  } {
    const agent = this.d.agent(input.agent_id);
    if (agent.phase === 'archived')
      throw new AppError('CONFLICT', `${agent.name} is archived; restore it to give it tasks`);
    const now = this.now();
    const trigger = normalizeTrigger(input.trigger, now);
    if (trigger.kind === 'once' && trigger.at <= now)
      throw new AppError(
        'INVALID_INPUT',
        `trigger.at: ${new Date(trigger.at).toISOString()} is in the past; give a time to come`,
        { field: 'trigger.at' },
      );
    const secret = trigger.kind === 'webhook' ? WEBHOOK_SECRET_PREFIX + randomBase62(43) : null;
    const enabled = input.enabled ?? true;
    const row: TaskRow = {
      id: crypto.randomUUID(),
      agent_id: agent.id,
      name: input.name?.trim() || input.prompt.trim().split('\n')[0]!.slice(0, 60),
      prompt: input.prompt.trim(),
      trigger,
      secret_hash: secret ? hashSecret(secret) : null,
      thread_id: input.thread_id ?? null,
      overlap: input.overlap ?? 'wait',
      missed: input.missed ?? 'run_once',
      start_agent: input.start_agent ?? false,
      notify_success: input.notify_success ?? false,
      enabled,
      next_run_at: enabled ? nextFire(trigger, now, now) : null,
      anchor_at: now,
      created_at: now,
      updated_at: now,
    };
    this.d.repo.insert(row);
    this.d.log.info({ task: row.id, agent: agent.id, trigger: describeTrigger(trigger) }, 'task added');
    this.changed();
    this.tick();
    return { task: this.dto(row), webhook_url_with_secret: secret ? this.hookUrl(row.id, secret) : null };
  }

  /** Changes a task; a changed trigger or re-enabling computes the next run from now. @throws AppError NOT_FOUND, INVALID_INPUT */
  update(input: TaskUpdateInput): Task {
    const cur = this.row(input.id);
    const now = this.now();
    const next: TaskRow = { ...cur, updated_at: now };
    for (const k of [
      'name',
      'prompt',
      'thread_id',
      'overlap',
      'missed',
      'start_agent',
      'notify_success',
    ] as const)
      if (input[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = input[k];
    let reschedule = false;
    if (input.trigger) {
      next.trigger = normalizeTrigger(input.trigger, now);
      if (next.trigger.kind === 'once' && next.trigger.at <= now)
        throw new AppError(
          'INVALID_INPUT',
          `trigger.at: ${new Date(next.trigger.at).toISOString()} is in the past; give a time to come`,
          { field: 'trigger.at' },
        );
      if (next.trigger.kind !== 'webhook') next.secret_hash = null;
      else if (cur.trigger.kind !== 'webhook')
        next.secret_hash = hashSecret(WEBHOOK_SECRET_PREFIX + randomBase62(43)); // unknown to anyone: rotateSecret gives a usable one
      next.anchor_at = now;
      reschedule = true;
    }
    if (input.enabled !== undefined && input.enabled !== cur.enabled) {
      next.enabled = input.enabled;
      next.anchor_at = now;
      reschedule = true;
    }
    if (reschedule) next.next_run_at = next.enabled ? nextFire(next.trigger, next.anchor_at, now) : null;
    this.d.repo.update(next);
    this.changed();
    this.tick();
    return this.dto(next);
  }

  /** Enables (next run computed from now) or disables a task. @throws AppError NOT_FOUND */
  setEnabled(id: string, enabled: boolean): Task {
    return this.update({ id, enabled });
  }

  /** Removes a task and its history, cancelling its runs. @returns whether it existed. */
  remove(id: string): boolean {
    this.d.runner.cancelTask(id);
    const removed = this.d.repo.remove(id);
    if (removed) this.changed();
    return removed;
  }

  /** Removes the tasks of agents that no longer exist (purged). */
  pruneAgents(existing: ReadonlySet<string>): void {
    for (const t of this.d.repo.list()) if (!existing.has(t.agent_id)) this.remove(t.id);
  }

  /** Queues a run now ("Run now"). @throws AppError NOT_FOUND */
  runNow(id: string): TaskRun {
    return this.d.runner.enqueue(this.row(id), 'manual', null);
  }

  /**
   * A webhook call whose secret was already checked ({@link checkHook}): queues a run with the body.
   * @throws AppError CONFLICT when the task is disabled.
   */
  fireHook(task: TaskRow, body: string): TaskRun {
    if (!task.enabled) throw new AppError('CONFLICT', 'This task is disabled');
    return this.d.runner.enqueue(task, 'webhook', null, body);
  }

  /**
   * The webhook task `id` when `secret` is its secret, else `null` — the same answer for an unknown
   * task, another trigger and a wrong secret. The comparison is of SHA-256 digests with
   * `crypto.timingSafeEqual` (constant time in the secret).
   */
  checkHook(id: string, secret: string): TaskRow | null {
    const task = /^[0-9a-f-]{36}$/.test(id) ? this.d.repo.get(id) : null;
    const expected = Buffer.from(task?.secret_hash ?? hashSecret(crypto.randomUUID()), 'hex');
    const given = Buffer.from(hashSecret(secret), 'hex');
    const same = crypto.timingSafeEqual(expected, given);
    return same && task && task.trigger.kind === 'webhook' ? task : null;
  }

  /** Gives a webhook task a new secret. @throws AppError NOT_FOUND, INVALID_INPUT (not a webhook task) */
  rotateSecret(id: string): { task: Task; webhook_url_with_secret: string | null } {
    const row = this.row(id);
    if (row.trigger.kind !== 'webhook')
      throw new AppError(
        'INVALID_INPUT',
        `Task "${row.name}" is not triggered by a webhook (${describeTrigger(row.trigger)})`,
      );
    const secret = WEBHOOK_SECRET_PREFIX + randomBase62(43);
    const next = { ...row, secret_hash: hashSecret(secret), updated_at: this.now() };
    this.d.repo.update(next);
    this.changed();
    return { task: this.dto(next), webhook_url_with_secret: this.hookUrl(id, secret) };
  }

  /** Emits `tasks.changed` (after a run ended too: the list shows the last result). */
  changed(): void {
    this.d.onChange(this.list());
  }

  /** Runs what is due, handles missed runs, and sets the timer for the next one. */
  tick(): void {
    if (!this.scheduling) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const now = this.now();
    let changed = false;
    for (const task of this.d.repo.due(now)) {
      try {
        this.fire(task, now);
      } catch (err) {
        this.d.log.error({ err, task: task.id }, 'task could not be fired');
        this.d.repo.setNext(task.id, null);
      }
      changed = true;
    }
    if (changed) this.changed();
    const earliest = this.d.repo.earliest();
    const wait = earliest === null ? TICK_MAX_MS : Math.min(TICK_MAX_MS, Math.max(0, earliest - this.now()));
    this.timer = setTimeout(() => this.tick(), wait + 5);
    this.timer.unref();
  }

  private fire(task: TaskRow, now: number): void {
    const due = task.next_run_at!;
    const next = nextFire(task.trigger, task.anchor_at, now);
    this.d.repo.setNext(task.id, next);
    if (now - due <= MISSED_GRACE_MS) {
      this.d.runner.enqueue(task, 'schedule', due);
      return;
    }
    // Missed: count the windows between the first missed time and now (bounded), for the record.
    let missed = 0;
    let last = due;
    for (
      let t: number | null = due;
      t !== null && t <= now && missed < 1000;
      t = nextFire(task.trigger, task.anchor_at, t)
    ) {
      missed++;
      last = t;
    }
    const what = `${missed === 1 ? 'a run' : `${missed} runs`} due from ${new Date(due).toISOString()}`;
    this.d.log.info(
      { task: task.id, missed, policy: task.missed },
      'task runs missed while the core was not running',
    );
    if (task.missed === 'run_once') {
      this.d.runner.enqueue(task, 'catch_up', last);
      return;
    }
    const run = newRunRow(
      { task_id: task.id, agent_id: task.agent_id },
      {
        trigger: 'schedule',
        status: 'skipped',
        scheduled_for: due,
        queued_at: now,
        ended_at: now,
        error: `Missed ${what}: Agent Desk was not running or the machine was asleep`,
        hint: 'This task skips missed runs; set it to "run once" to catch up after downtime',
        error_code: 'missed',
      },
    );
    this.d.repo.insertRun(run);
    this.d.runner.report(run.id);
  }

  private row(id: string): TaskRow {
    const t = this.d.repo.get(id);
    if (!t) throw new AppError('NOT_FOUND', `No task ${id}; see tasks.list`);
    return t;
  }

  private hookUrl(id: string, secret: string): string | null {
    const base = this.d.webhookBase();
    return base ? `${base}/hooks/${id}/${secret}` : null;
  }

  private dto(t: TaskRow): Task {
    const base = this.d.webhookBase();
    const last = this.d.repo.lastRun(t.id);
    return {
      id: t.id,
      agent_id: t.agent_id,
      name: t.name,
      prompt: t.prompt,
      trigger: t.trigger,
      thread_id: t.thread_id,
      overlap: t.overlap,
      missed: t.missed,
      start_agent: t.start_agent,
      notify_success: t.notify_success,
      enabled: t.enabled,
      next_run_at: t.next_run_at,
      webhook_url: t.trigger.kind === 'webhook' && base ? `${base}/hooks/${t.id}` : null,
      created_at: t.created_at,
      updated_at: t.updated_at,
      last_run: last ? runDto(last) : null,
    };
  }
}
