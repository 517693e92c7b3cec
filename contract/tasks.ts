// Shapes of the `tasks` group: unattended runs of an agent (cron, interval, once, webhook) and their history.
import { z } from 'zod';
import { AgentId } from './agents';

/** UTC milliseconds. */
const UtcMs = z.number().int().min(0).max(8_640_000_000_000_000);

/** Shortest and longest fixed interval, in seconds. */
export const TASK_INTERVAL_MIN_S = 5;
export const TASK_INTERVAL_MAX_S = 366 * 86_400;

/** Longest prompt, in characters (the same bound as a chat message). */
export const TASK_PROMPT_MAX = 100_000;

/** Largest final answer kept in a run record, in characters (the rest is in the trace and the thread). */
export const TASK_ANSWER_MAX = 8_000;

/** Largest webhook body accepted, in bytes. */
export const WEBHOOK_BODY_MAX = 64 * 1024;

/**
 * When a task runs:
 * - `cron`: a cron expression (5 fields, or 6 with seconds first) in an IANA time zone;
 * - `interval`: every `every_s` seconds, counted from the task's creation (or its last enabling);
 * - `once`: at `at` (UTC ms), then never again;
 * - `webhook`: when its local URL is POSTed a JSON body with the task's secret.
 */
export const TaskTrigger = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('cron'),
      cron: z.string().trim().min(1, 'the cron expression is empty').max(200),
      /** IANA time zone, e.g. `Europe/Paris`; default the core's own. */
      tz: z.string().trim().min(1).max(64).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('interval'),
      every_s: z
        .number()
        .int('whole seconds')
        .min(TASK_INTERVAL_MIN_S, `at least ${TASK_INTERVAL_MIN_S} s`)
        .max(TASK_INTERVAL_MAX_S, 'at most 366 days'),
    })
    .strict(),
  z.object({ kind: z.literal('once'), at: UtcMs }).strict(),
  z.object({ kind: z.literal('webhook') }).strict(),
]);
export type TaskTrigger = z.infer<typeof TaskTrigger>;

/** What happens when a run is due while the agent is busy with another run: wait for it, or skip this one. */
export const TaskOverlap = z.enum(['wait', 'skip']);
/** What happens to runs missed while the core was not running (or the machine slept): one run now, or one `missed` record. */
export const TaskMissed = z.enum(['run_once', 'skip']);

/** A run's state. `queued → running → succeeded | failed | cancelled`; `skipped` never ran (the reason is its error). */
export const TaskRunStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled']);
export type TaskRunStatus = z.infer<typeof TaskRunStatus>;

/** Why a run exists: its schedule, a catch-up after downtime, "Run now", or its webhook. */
export const TaskRunTrigger = z.enum(['schedule', 'catch_up', 'manual', 'webhook']);

/** One run of a task. */
export const TaskRun = z.object({
  id: z.string(),
  task_id: z.string(),
  agent_id: z.string(),
  trigger: TaskRunTrigger,
  status: TaskRunStatus,
  /** The time the schedule asked for (UTC ms); `null` for manual and webhook runs. */
  scheduled_for: UtcMs.nullable(),
  queued_at: UtcMs,
  started_at: UtcMs.nullable(),
  ended_at: UtcMs.nullable(),
  duration_ms: z.number().int().nullable(),
  /** The thread the turn ran in, and the turn's trace id (open it in Traces). */
  thread_id: z.string().nullable(),
  trace_id: z.string().nullable(),
  /** Summed over the turn's model calls (`llm_call` trace events); `null` before it ended or when none. */
  tokens_in: z.number().int().nullable(),
  tokens_out: z.number().int().nullable(),
  cost_usd: z.number().nullable(),
  /** The final answer, cut to {@link TASK_ANSWER_MAX} characters. */
  answer: z.string().nullable(),
  /** Why it failed or was skipped or cancelled, one line; `null` on success. */
  error: z.string().nullable(),
  /** What to do about the error. */
  hint: z.string().nullable(),
  /** `budget` when the agent's spend limit stopped it (the UI offers to raise it); else `null`. */
  error_code: z.enum(['budget', 'interrupted', 'missed']).nullable(),
});
export type TaskRun = z.infer<typeof TaskRun>;

/** A task as the UI and CLI see it (never its webhook secret, which is shown once). */
export const Task = z.object({
  id: z.string(),
  agent_id: z.string(),
  name: z.string(),
  prompt: z.string(),
  trigger: TaskTrigger,
  /** `null` = a fresh thread per run; else every run continues this thread. */
  thread_id: z.string().nullable(),
  overlap: TaskOverlap,
  missed: TaskMissed,
  /** Start the agent for a run when it is stopped (else the run is skipped with that reason). */
  start_agent: z.boolean(),
  /** Also notify when a run succeeds (failures always notify while the window is hidden). */
  notify_success: z.boolean(),
  enabled: z.boolean(),
  /** When it runs next (UTC ms); `null` for webhooks, a finished one-shot, or a disabled task. */
  next_run_at: UtcMs.nullable(),
  /** The webhook's URL without its secret (`…/hooks/<id>`); `null` for other triggers. */
  webhook_url: z.string().nullable(),
  created_at: UtcMs,
  updated_at: UtcMs,
  /** The newest run, `null` before the first. */
  last_run: TaskRun.nullable(),
});
export type Task = z.infer<typeof Task>;

/** A thread id as the runtime accepts it (see chat-relay.ts). */
const ThreadId = z
  .string()
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/, 'use 1–128 letters, digits, "_", "-" or "." (not first)');

const taskFields = {
  name: z.string().trim().min(1, 'the name is empty').max(120),
  prompt: z.string().trim().min(1, 'the prompt is empty').max(TASK_PROMPT_MAX),
  trigger: TaskTrigger,
  thread_id: ThreadId.nullable(),
  overlap: TaskOverlap,
  missed: TaskMissed,
  start_agent: z.boolean(),
  notify_success: z.boolean(),
  enabled: z.boolean(),
};

/** Input of `tasks.create`. Defaults: name from the prompt, a fresh thread per run, wait, run once, enabled. */
export const TaskCreateInput = z
  .object({
    agent_id: AgentId,
    ...taskFields,
    name: taskFields.name.optional(),
    thread_id: taskFields.thread_id.default(null),
    overlap: taskFields.overlap.default('wait'),
    missed: taskFields.missed.default('run_once'),
    start_agent: taskFields.start_agent.default(false),
    notify_success: taskFields.notify_success.default(false),
    enabled: taskFields.enabled.default(true),
  })
  .strict();
export type TaskCreateInput = z.input<typeof TaskCreateInput>;

/** Input of `tasks.update`: the fields to change. */
export const TaskUpdateInput = z
  .object({ id: z.string().uuid('must be a task id (see `tasks.list`)'), ...taskFields })
  .partial()
  .required({ id: true })
  .strict();
export type TaskUpdateInput = z.input<typeof TaskUpdateInput>;

/** `{id}` of a task. */
export const TaskRef = z.object({ id: z.string().uuid('must be a task id (see `tasks.list`)') }).strict();
/** Input of `tasks.setEnabled`. */
export const TaskEnableInput = TaskRef.extend({ enabled: z.boolean() }).strict();
/** `{id}` of a run. */
export const TaskRunRef = z
  .object({ run_id: z.string().uuid('must be a run id (see `tasks.history`)') })
  .strict();

/** Output of `tasks.create` and `tasks.rotateSecret`: the task, and for webhooks its full URL with the secret (shown once). */
export const TaskCreated = z.object({
  task: Task,
  /** `http://127.0.0.1:<port>/hooks/<id>/<secret>`; `null` for other triggers. Not retrievable later. */
  webhook_url_with_secret: z.string().nullable(),
});

/** Input of `tasks.list`. */
export const TaskListInput = z.object({ agent_id: AgentId.optional() }).strict();

/** Largest page of `tasks.history`. */
export const TASK_HISTORY_MAX = 500;

/** Input of `tasks.history`: newest first, filtered. */
export const TaskHistoryInput = z
  .object({
    task_id: z.string().uuid().optional(),
    agent_id: AgentId.optional(),
    status: z.array(TaskRunStatus).min(1).optional(),
    /** Queued at or after (UTC ms). */
    since: UtcMs.optional(),
    limit: z.number().int().min(1).max(TASK_HISTORY_MAX).default(100),
  })
  .strict();
export type TaskHistoryInput = z.input<typeof TaskHistoryInput>;

/** `tasks.changed` event: every task, as `tasks.list` answers without a filter. */
export const TasksChanged = z.object({ tasks: z.array(Task) });
