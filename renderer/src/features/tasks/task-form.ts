// The task form's values, their defaults from a task, and the contract input they make (pure, tested).
import type { Task, TaskCreateInput, TaskTrigger } from '../../../../contract/tasks';

/** What the task form holds (strings as typed). */
export interface TaskForm {
  agentId: string;
  name: string;
  prompt: string;
  kind: TaskTrigger['kind'];
  cron: string;
  tz: string;
  every: string;
  everyUnit: 's' | 'min' | 'h';
  /** `YYYY-MM-DDTHH:MM` in local time (an `<input type="datetime-local">`). */
  at: string;
  threadMode: 'fresh' | 'named';
  threadId: string;
  overlap: 'wait' | 'skip';
  missed: 'run_once' | 'skip';
  startAgent: boolean;
  notifySuccess: boolean;
}

/** The browser's IANA time zone. */
export const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const pad = (n: number) => String(n).padStart(2, '0');
/** `ms` as a `datetime-local` value. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A new task's form (for `agentId`, default: a weekday 09:00 cron in the local zone). */
export function emptyForm(agentId: string, now = Date.now()): TaskForm {
  return {
    agentId,
    name: '',
    prompt: '',
    kind: 'cron',
    cron: '0 9 * * 1-5',
    tz: localZone(),
    every: '60',
    everyUnit: 'min',
    at: toLocalInput(now + 3_600_000),
    threadMode: 'fresh',
    threadId: '',
    overlap: 'wait',
    missed: 'run_once',
    startAgent: false,
    notifySuccess: false,
  };
}

/** The form of an existing task. */
export function formOf(t: Task): TaskForm {
  const f = emptyForm(t.agent_id);
  const trig = t.trigger;
  const every =
    trig.kind === 'interval'
      ? trig.every_s % 3600 === 0
        ? { every: String(trig.every_s / 3600), everyUnit: 'h' as const }
        : trig.every_s % 60 === 0
          ? { every: String(trig.every_s / 60), everyUnit: 'min' as const }
          : { every: String(trig.every_s), everyUnit: 's' as const }
      : {};
  return {
    ...f,
    ...every,
    name: t.name,
    prompt: t.prompt,
    kind: trig.kind,
    ...(trig.kind === 'cron' ? { cron: trig.cron, tz: trig.tz ?? f.tz } : {}),
    ...(trig.kind === 'once' ? { at: toLocalInput(trig.at) } : {}),
    threadMode: t.thread_id ? 'named' : 'fresh',
    threadId: t.thread_id ?? '',
    overlap: t.overlap,
    missed: t.missed,
    startAgent: t.start_agent,
    notifySuccess: t.notify_success,
  };
}

/** The trigger of a form, or the field and why it is wrong. */
export function triggerOfForm(f: TaskForm): { trigger: TaskTrigger } | { field: string; error: string } {
  switch (f.kind) {
    case 'cron':
      if (!f.cron.trim()) return { field: 'task-cron', error: 'Give a cron expression, e.g. 0 9 * * 1-5' };
      return { trigger: { kind: 'cron', cron: f.cron.trim(), tz: f.tz.trim() || localZone() } };
    case 'interval': {
      const n = Number(f.every);
      const mult = f.everyUnit === 'h' ? 3600 : f.everyUnit === 'min' ? 60 : 1;
      if (!Number.isInteger(n) || n <= 0) return { field: 'task-every', error: 'A whole number, e.g. 15' };
      return { trigger: { kind: 'interval', every_s: n * mult } };
    }
    case 'once': {
      const ms = new Date(f.at).getTime();
      if (!Number.isFinite(ms)) return { field: 'task-at', error: 'Pick a date and time' };
      return { trigger: { kind: 'once', at: ms } };
    }
    case 'webhook':
      return { trigger: { kind: 'webhook' } };
  }
}

/** The `tasks.create` input of a valid form, or the field and why it is wrong. */
export function createInputOf(f: TaskForm): { input: TaskCreateInput } | { field: string; error: string } {
  if (!f.agentId) return { field: 'task-agent', error: 'Pick an agent' };
  if (!f.prompt.trim()) return { field: 'task-prompt', error: 'Write what the agent should do' };
  const t = triggerOfForm(f);
  if ('error' in t) return t;
  if (f.threadMode === 'named' && !f.threadId.trim())
    return { field: 'task-thread', error: 'Name the thread, e.g. daily-report' };
  return {
    input: {
      agent_id: f.agentId,
      prompt: f.prompt.trim(),
      trigger: t.trigger,
      ...(f.name.trim() ? { name: f.name.trim() } : {}),
      thread_id: f.threadMode === 'named' ? f.threadId.trim() : null,
      overlap: f.overlap,
      missed: f.missed,
      start_agent: f.startAgent,
      notify_success: f.notifySuccess,
    },
  };
}

/** The form field an error of the core names (`trigger.cron` → `task-cron`), else `null`. */
export function fieldOfError(message: string, details?: Record<string, unknown>): string | null {
  const field = typeof details?.field === 'string' ? details.field : /^([a-z_.]+):/.exec(message)?.[1];
  const map: Record<string, string> = {
    'trigger.cron': 'task-cron',
    'trigger.tz': 'task-tz',
    'trigger.at': 'task-at',
    'trigger.every_s': 'task-every',
    prompt: 'task-prompt',
    name: 'task-name',
    thread_id: 'task-thread',
  };
  return field ? (map[field] ?? null) : null;
}
