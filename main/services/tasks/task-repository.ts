// Tasks and their runs in SQLite (tables tasks and task_runs, migration 010).
import crypto from 'node:crypto';
import type { TaskRun, TaskRunStatus, TaskTrigger } from '../../../contract/tasks';
import type { Db } from '../storage/database';

/** A stored task. */
export interface TaskRow {
  id: string;
  agent_id: string;
  name: string;
  prompt: string;
  trigger: TaskTrigger;
  /** SHA-256 hex of a webhook's secret; `null` for other triggers. */
  secret_hash: string | null;
  thread_id: string | null;
  overlap: 'wait' | 'skip';
  missed: 'run_once' | 'skip';
  start_agent: boolean;
  notify_success: boolean;
  enabled: boolean;
  next_run_at: number | null;
  anchor_at: number;
  created_at: number;
  updated_at: number;
}

/** A stored run: the contract's {@link TaskRun} plus the webhook body it was given. */
export type RunRow = TaskRun & { input: string | null };

/**
 * A new run of `task` that has not started: id, task and agent, `init`'s trigger, status, times and
 * whatever else it sets; every outcome field (times, thread, tokens, answer, error) `null`.
 */
export function newRunRow(
  task: Pick<TaskRun, 'task_id' | 'agent_id'>,
  init: Pick<RunRow, 'trigger' | 'status' | 'scheduled_for' | 'queued_at'> & Partial<RunRow>,
): RunRow {
  const { trigger, status, scheduled_for, queued_at, ...outcome } = init;
  return {
    id: crypto.randomUUID(),
    task_id: task.task_id,
    agent_id: task.agent_id,
    trigger,
    status,
    scheduled_for,
    queued_at,
    started_at: null,
    ended_at: null,
    duration_ms: null,
    thread_id: null,
    trace_id: null,
    tokens_in: null,
    tokens_out: null,
    cost_usd: null,
    answer: null,
    error: null,
    hint: null,
    error_code: null,
    input: null,
    ...outcome,
  };
}

interface RawTask extends Omit<TaskRow, 'trigger' | 'start_agent' | 'notify_success' | 'enabled'> {
  trigger_json: string;
  start_agent: number;
  notify_success: number;
  enabled: number;
}

const toTask = (r: RawTask): TaskRow => {
  const { trigger_json, ...rest } = r;
  return {
    ...rest,
    trigger: JSON.parse(trigger_json) as TaskTrigger,
    start_agent: r.start_agent === 1,
    notify_success: r.notify_success === 1,
    enabled: r.enabled === 1,
  };
};

const fromTask = (t: TaskRow) => ({
  ...t,
  trigger_json: JSON.stringify(t.trigger),
  start_agent: t.start_agent ? 1 : 0,
  notify_success: t.notify_success ? 1 : 0,
  enabled: t.enabled ? 1 : 0,
});

const RUN_COLUMNS = [
  'id',
  'task_id',
  'agent_id',
  'trigger',
  'status',
  'scheduled_for',
  'queued_at',
  'started_at',
  'ended_at',
  'duration_ms',
  'thread_id',
  'trace_id',
  'tokens_in',
  'tokens_out',
  'cost_usd',
  'answer',
  'error',
  'hint',
  'error_code',
  'input',
] as const;

/** Statuses of a run that has ended. */
export const ENDED: ReadonlySet<TaskRunStatus> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/** Reads and writes tasks and runs. Every method is synchronous (better-sqlite3). */
export class TaskRepository {
  constructor(private readonly db: Db) {}

  /** Every task (or one agent's), oldest first. */
  list(agentId?: string): TaskRow[] {
    const rows = (
      agentId
        ? this.db.prepare('SELECT * FROM tasks WHERE agent_id = ? ORDER BY created_at, id').all(agentId)
        : this.db.prepare('SELECT * FROM tasks ORDER BY created_at, id').all()
    ) as RawTask[];
    return rows.map(toTask);
  }

  get(id: string): TaskRow | null {
    const r = this.db.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as RawTask | undefined;
    return r ? toTask(r) : null;
  }

  insert(t: TaskRow): void {
    this.db
      .prepare(
        `INSERT INTO tasks (id, agent_id, name, prompt, trigger_json, secret_hash, thread_id, overlap, missed,
           start_agent, notify_success, enabled, next_run_at, anchor_at, created_at, updated_at)
         VALUES (@id, @agent_id, @name, @prompt, @trigger_json, @secret_hash, @thread_id, @overlap, @missed,
           @start_agent, @notify_success, @enabled, @next_run_at, @anchor_at, @created_at, @updated_at)`,
      )
      .run(fromTask(t));
  }

  update(t: TaskRow): void {
    this.db
      .prepare(
        `UPDATE tasks SET name = @name, prompt = @prompt, trigger_json = @trigger_json, secret_hash = @secret_hash,
           thread_id = @thread_id, overlap = @overlap, missed = @missed, start_agent = @start_agent,
           notify_success = @notify_success, enabled = @enabled, next_run_at = @next_run_at,
           anchor_at = @anchor_at, updated_at = @updated_at
         WHERE id = @id`,
      )
      .run(fromTask(t));
  }

  /** Sets when the task fires next. */
  setNext(id: string, next: number | null): void {
    this.db.prepare('UPDATE tasks SET next_run_at = ? WHERE id = ?').run(next, id);
  }

  /** Removes a task and (cascade) its runs; `true` when it existed. */
  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM tasks WHERE id = ?').run(id).changes > 0;
  }

  /** Enabled tasks whose next run is at or before `at` (UTC ms). */
  due(at: number): TaskRow[] {
    return (
      this.db
        .prepare(
          'SELECT * FROM tasks WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at',
        )
        .all(at) as RawTask[]
    ).map(toTask);
  }

  /** The earliest next run of an enabled task, or `null`. */
  earliest(): number | null {
    const r = this.db
      .prepare('SELECT min(next_run_at) AS t FROM tasks WHERE enabled = 1 AND next_run_at IS NOT NULL')
      .get() as { t: number | null };
    return r.t;
  }

  insertRun(r: RunRow): void {
    this.db
      .prepare(
        `INSERT INTO task_runs (${RUN_COLUMNS.join(', ')}) VALUES (${RUN_COLUMNS.map((c) => `@${c}`).join(', ')})`,
      )
      .run(r);
  }

  /** Writes the changed fields of a run. */
  patchRun(id: string, patch: Partial<RunRow>): RunRow | null {
    const keys = Object.keys(patch).filter(
      (k) => k !== 'id' && (RUN_COLUMNS as readonly string[]).includes(k),
    );
    if (keys.length)
      this.db
        .prepare(`UPDATE task_runs SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`)
        .run({ ...patch, id });
    return this.run(id);
  }

  run(id: string): RunRow | null {
    return (this.db.prepare('SELECT * FROM task_runs WHERE id = ?').get(id) as RunRow | undefined) ?? null;
  }

  /** The newest run of a task, or `null`. */
  lastRun(taskId: string): RunRow | null {
    return (
      (this.db
        .prepare('SELECT * FROM task_runs WHERE task_id = ? ORDER BY queued_at DESC, rowid DESC LIMIT 1')
        .get(taskId) as RunRow | undefined) ?? null
    );
  }

  /** Runs still `queued` or `running` (of every task), oldest first. */
  openRuns(): RunRow[] {
    return this.db
      .prepare("SELECT * FROM task_runs WHERE status IN ('queued', 'running') ORDER BY queued_at, rowid")
      .all() as RunRow[];
  }

  /** Runs, newest first, filtered. */
  history(q: {
    task_id?: string;
    agent_id?: string;
    status?: TaskRunStatus[];
    since?: number;
    limit: number;
  }): RunRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: q.limit };
    if (q.task_id) {
      where.push('task_id = @task');
      params.task = q.task_id;
    }
    if (q.agent_id) {
      where.push('agent_id = @agent');
      params.agent = q.agent_id;
    }
    if (q.since !== undefined) {
      where.push('queued_at >= @since');
      params.since = q.since;
    }
    if (q.status?.length) {
      where.push(`status IN (${q.status.map((_, i) => `@s${i}`).join(', ')})`);
      q.status.forEach((s, i) => (params[`s${i}`] = s));
    }
    return this.db
      .prepare(
        `SELECT * FROM task_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY queued_at DESC, rowid DESC LIMIT @limit`,
      )
      .all(params) as RunRow[];
  }
}

/** The contract's view of a run (without its webhook body). */
export function runDto(r: RunRow): TaskRun {
  const { input: _input, ...run } = r;
  return run;
}
