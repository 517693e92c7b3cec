// `agentdesk tasks list|add|edit|remove|enable|disable|run|cancel|history`: unattended runs of agents, from scripts.
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { Client } from '../../contract/client';
import { AppError } from '../../contract/errors';
import type { Task, TaskRun, TaskRunStatus, TaskTrigger } from '../../contract/tasks';
import { TaskRunStatus as RunStatuses } from '../../contract/tasks';
import { ago, findAgent } from './agents';
import type { RunnerIo } from './command-runner';
import { commandGroup } from './command-runner';
import { table } from './providers-format';
import { normalizeTrigger } from '../services/tasks/task-schedule';

/** `90`, `30s`, `15m`, `2h`, `1d` → seconds. */
export function parseEvery(value: string): number {
  const m = /^(\d+)\s*(s|m|min|h|d)?$/i.exec(value.trim());
  if (!m)
    throw new InvalidArgumentError(
      `--every "${value}" is not a duration; e.g. --every 15m, --every 2h, --every 90s`,
    );
  const unit = (m[2] ?? 's').toLowerCase();
  return Number(m[1]) * (unit === 'd' ? 86_400 : unit === 'h' ? 3600 : unit.startsWith('m') ? 60 : 1);
}

/** An ISO 8601 time (with its offset, or local) → UTC ms. */
export function parseAt(value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || !Number.isFinite(ms))
    throw new InvalidArgumentError(
      `--at "${value}" is not a time; e.g. --at 2025-06-01T09:00 (local) or --at 2025-06-01T07:00Z`,
    );
  return ms;
}

function parseStatuses(value: string): TaskRunStatus[] {
  const list = value.split(',').map((s) => s.trim());
  for (const s of list)
    if (!RunStatuses.safeParse(s).success)
      throw new InvalidArgumentError(
        `--status "${s}" is not a run status; valid: ${RunStatuses.options.join(', ')}`,
      );
  return list as TaskRunStatus[];
}

/** A trigger's short form for tables. */
export function triggerText(t: TaskTrigger): string {
  switch (t.kind) {
    case 'cron':
      return `cron "${t.cron}" ${t.tz ?? ''}`.trim();
    case 'interval':
      return `every ${t.every_s % 3600 === 0 ? `${t.every_s / 3600}h` : t.every_s % 60 === 0 ? `${t.every_s / 60}m` : `${t.every_s}s`}`;
    case 'once':
      return `once ${new Date(t.at).toISOString()}`;
    case 'webhook':
      return 'webhook';
  }
}

/** "in 5 min", "now", "—". */
export function inTime(at: number | null, now = Date.now()): string {
  if (at === null) return '—';
  return at <= now ? 'now' : `in ${ago(now, at)}`;
}

/** The tasks as a table. */
export function formatTasks(tasks: Task[], agentName: (id: string) => string, now = Date.now()): string {
  if (!tasks.length)
    return 'No tasks. Add one with `agentdesk tasks add AGENT --cron "0 9 * * 1-5" --prompt "…"`.';
  return table(
    ['TASK', 'AGENT', 'TRIGGER', 'NEXT RUN', 'LAST RUN', 'ID'],
    tasks.map((t) => [
      `${t.enabled ? '' : '(off) '}${t.name}`,
      agentName(t.agent_id),
      triggerText(t.trigger),
      t.enabled ? inTime(t.next_run_at, now) : '—',
      t.last_run ? `${t.last_run.status} ${ago(t.last_run.ended_at ?? t.last_run.queued_at, now)} ago` : '—',
      t.id,
    ]),
  );
}

/** The runs as a table, newest first. */
export function formatRuns(runs: TaskRun[], taskName: (id: string) => string, now = Date.now()): string {
  if (!runs.length) return 'No runs.';
  return table(
    ['WHEN', 'TASK', 'STATUS', 'TRIGGER', 'TIME', 'TOKENS', 'COST', 'RESULT', 'RUN'],
    runs.map((r) => [
      `${ago(r.queued_at, now)} ago`,
      taskName(r.task_id),
      r.status,
      r.trigger,
      r.duration_ms === null ? '' : `${(r.duration_ms / 1000).toFixed(1)} s`,
      r.tokens_in === null ? '' : `${r.tokens_in}/${r.tokens_out ?? 0}`,
      r.cost_usd === null ? '' : `$${r.cost_usd.toFixed(4)}`,
      (r.error ?? r.answer ?? '').replace(/\s+/g, ' ').slice(0, 60),
      r.id,
    ]),
  );
}

/** A task by id, or by name (case-insensitive). @throws AppError NOT_FOUND listing the tasks. */
export async function findTask(c: Client, ref: string): Promise<Task> {
  const { tasks } = await c.tasks.list({});
  const low = ref.toLowerCase();
  const found = tasks.find((t) => t.id === ref) ?? tasks.find((t) => t.name.toLowerCase() === low);
  if (!found)
    throw new AppError(
      'NOT_FOUND',
      `No task "${ref}"; tasks: ${tasks.map((t) => `"${t.name}"`).join(', ') || 'none'}`,
    );
  return found;
}

interface TaskOpts {
  prompt?: string;
  name?: string;
  cron?: string;
  tz?: string;
  every?: number;
  at?: number;
  webhook?: boolean;
  thread?: string;
  freshThread?: boolean;
  skipIfBusy?: boolean;
  wait?: boolean;
  skipMissed?: boolean;
  catchUp?: boolean;
  startAgent?: boolean;
  notifySuccess?: boolean;
  disabled?: boolean;
  json?: boolean;
}

/** The trigger the options give, `undefined` when none; @throws AppError INVALID_INPUT for two at once. */
function triggerOf(o: TaskOpts): TaskTrigger | undefined {
  const given = [o.cron !== undefined, o.every !== undefined, o.at !== undefined, Boolean(o.webhook)].filter(
    Boolean,
  );
  if (given.length > 1)
    throw new AppError('INVALID_INPUT', 'Give one trigger: --cron, --every, --at or --webhook');
  if (o.tz && o.cron === undefined) throw new AppError('INVALID_INPUT', '--tz goes with --cron');
  if (o.cron !== undefined) return { kind: 'cron', cron: o.cron, ...(o.tz ? { tz: o.tz } : {}) };
  if (o.every !== undefined) return { kind: 'interval', every_s: o.every };
  if (o.at !== undefined) return { kind: 'once', at: o.at };
  if (o.webhook) return { kind: 'webhook' };
  return undefined;
}

function withTaskOptions(c: Command): Command {
  return c
    .option('--prompt <text>', 'what the agent is asked at each run')
    .option('--name <name>', 'a name (default: the prompt’s first words)')
    .option('--cron <expr>', 'cron expression: 5 fields, e.g. "0 9 * * 1-5" (or 6 with seconds first)')
    .option('--tz <zone>', 'IANA time zone of --cron, e.g. Europe/Paris (default: this machine’s)')
    .option('--every <duration>', 'fixed interval, e.g. 15m, 2h, 90s', parseEvery)
    .option('--at <time>', 'once, at an ISO 8601 time', parseAt)
    .option('--webhook', 'run when its local URL is POSTed JSON (the URL with its secret is printed once)')
    .option('--thread <id>', 'continue this thread at every run (default: a fresh thread per run)')
    .option('--skip-if-busy', 'skip a run when the agent is busy with another (default: wait)')
    .option(
      '--skip-missed',
      'record runs missed while Agent Desk was not running as "missed" (default: run once)',
    )
    .option('--start-agent', 'start the agent for a run when it is stopped (default: skip the run)')
    .option('--notify-success', 'notify when a run succeeds too (failures always notify)')
    .option('--json', 'print JSON');
}

/** Builds the `tasks` command tree (see {@link commandRunner} for exit codes). */
export function tasksCommand(io: RunnerIo, globalHome: () => string | undefined): Command {
  const { cmd, run, print } = commandGroup(
    io,
    'tasks',
    'unattended runs of agents: cron, interval, once or webhook, with a run history',
    globalHome,
  );
  const names = async (c: Client) =>
    new Map((await c.agents.list({})).agents.map((a) => [a.id, `${a.emoji} ${a.name}`]));
  const showTask = (json: boolean, t: Task, url: string | null = null) => {
    print(
      json,
      url ? { task: t, webhook_url_with_secret: url } : t,
      `${t.name} (${t.id}): ${triggerText(t.trigger)}, ${t.enabled ? `next run ${inTime(t.next_run_at)}` : 'disabled'}`,
    );
    if (!json && url) io.out.write(`  webhook (shown once; keep it secret): ${url}\n`);
  };

  cmd
    .command('list')
    .description('list tasks with their next run and last result')
    .option('--agent <agent>', 'only this agent’s (id, slug or name)')
    .option('--json', 'print JSON')
    .action((o: { agent?: string; json?: boolean }) =>
      run(
        'list',
        async (c, json) => {
          const agentId = o.agent ? (await findAgent(c, o.agent)).id : undefined;
          const { tasks } = await c.tasks.list(agentId ? { agent_id: agentId } : {});
          const n = await names(c);
          print(
            json,
            { tasks },
            formatTasks(tasks, (id) => n.get(id) ?? id),
          );
        },
        Boolean(o.json),
      )(),
    );

  withTaskOptions(
    cmd.command('add').description('add a task to an agent').argument('<agent>', 'id, slug or name'),
  )
    .option('--disabled', 'add it disabled')
    .action((ref: string, o: TaskOpts) =>
      run(
        'add',
        async (c, json) => {
          const trigger = triggerOf(o);
          if (!trigger)
            throw new AppError(
              'INVALID_INPUT',
              'Give a trigger: --cron "0 9 * * 1-5" [--tz Europe/Paris], --every 15m, --at 2025-06-01T09:00 or --webhook',
            );
          if (!o.prompt) throw new AppError('INVALID_INPUT', 'Give the prompt: --prompt "…"');
          normalizeTrigger(trigger, Date.now()); // a bad cron or time zone: the reason and an example, before anything else
          const a = await findAgent(c, ref);
          const r = await c.tasks.create({
            agent_id: a.id,
            prompt: o.prompt,
            trigger,
            ...(o.name ? { name: o.name } : {}),
            ...(o.thread ? { thread_id: o.thread } : {}),
            overlap: o.skipIfBusy ? 'skip' : 'wait',
            missed: o.skipMissed ? 'skip' : 'run_once',
            start_agent: Boolean(o.startAgent),
            notify_success: Boolean(o.notifySuccess),
            enabled: !o.disabled,
          });
          showTask(json, r.task, r.webhook_url_with_secret);
        },
        Boolean(o.json),
      )(),
    );

  withTaskOptions(
    cmd
      .command('edit')
      .description('change a task (only the options given)')
      .argument('<task>', 'id or name'),
  )
    .option('--fresh-thread', 'run each time on a fresh thread again')
    .addOption(
      new Option('--wait-if-busy', 'wait for the agent when busy (undoes --skip-if-busy)').conflicts(
        'skipIfBusy',
      ),
    )
    .option('--catch-up', 'run once after missed runs (undoes --skip-missed)')
    .option('--no-start-agent', 'skip runs while the agent is stopped')
    .option('--no-notify-success', 'notify failures only')
    .action((ref: string, o: TaskOpts & { waitIfBusy?: boolean }) =>
      run(
        'edit',
        async (c, json) => {
          const t = await findTask(c, ref);
          const trigger = triggerOf(o);
          const updated = await c.tasks.update({
            id: t.id,
            ...(o.prompt ? { prompt: o.prompt } : {}),
            ...(o.name ? { name: o.name } : {}),
            ...(trigger ? { trigger } : {}),
            ...(o.thread ? { thread_id: o.thread } : o.freshThread ? { thread_id: null } : {}),
            ...(o.skipIfBusy
              ? { overlap: 'skip' as const }
              : o.waitIfBusy
                ? { overlap: 'wait' as const }
                : {}),
            ...(o.skipMissed
              ? { missed: 'skip' as const }
              : o.catchUp
                ? { missed: 'run_once' as const }
                : {}),
            ...(o.startAgent !== undefined ? { start_agent: o.startAgent } : {}),
            ...(o.notifySuccess !== undefined ? { notify_success: o.notifySuccess } : {}),
          });
          showTask(json, updated);
          if (!json && trigger?.kind === 'webhook' && t.trigger.kind !== 'webhook')
            io.out.write(`  get its URL with: agentdesk tasks secret ${t.id}\n`);
        },
        Boolean(o.json),
      )(),
    );

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const)
    cmd
      .command(name)
      .description(`${name} a task${enabled ? ' (its next run is computed from now)' : ''}`)
      .argument('<task>', 'id or name')
      .option('--json', 'print JSON')
      .action((ref: string, o: { json?: boolean }) =>
        run(
          name,
          async (c, json) =>
            showTask(json, await c.tasks.setEnabled({ id: (await findTask(c, ref)).id, enabled })),
          Boolean(o.json),
        )(),
      );

  cmd
    .command('remove')
    .description('remove a task and its history')
    .argument('<task>', 'id or name')
    .option('--json', 'print JSON')
    .action((ref: string, o: { json?: boolean }) =>
      run(
        'remove',
        async (c, json) => {
          const t = await findTask(c, ref);
          const r = await c.tasks.remove({ id: t.id });
          print(json, r, `Removed task ${t.name}`);
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('secret')
    .description('give a webhook task a new secret (the old URL stops working); prints the new URL once')
    .argument('<task>', 'id or name')
    .option('--json', 'print JSON')
    .action((ref: string, o: { json?: boolean }) =>
      run(
        'secret',
        async (c, json) => {
          const r = await c.tasks.rotateSecret({ id: (await findTask(c, ref)).id });
          showTask(json, r.task, r.webhook_url_with_secret);
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('run')
    .description('run a task now and wait for its result (exit 1 when it fails)')
    .argument('<task>', 'id or name')
    .option('--no-wait', 'return once the run is queued')
    .option('--json', 'print JSON')
    .action((ref: string, o: { wait: boolean; json?: boolean }) =>
      run(
        'run',
        async (c, json) => {
          const t = await findTask(c, ref);
          let r = await c.tasks.run({ id: t.id });
          while (o.wait && (r.status === 'queued' || r.status === 'running')) {
            await new Promise((res) => setTimeout(res, 500));
            r = (await c.tasks.history({ task_id: t.id, limit: 20 })).runs.find((x) => x.id === r.id) ?? r;
          }
          const text =
            r.status === 'succeeded'
              ? (r.answer ?? '')
              : `${t.name}: ${r.status}${r.error ? ` — ${r.error}` : ''}${r.hint ? `\n  ${r.hint}` : ''}`;
          print(json, r, text);
          return r.status === 'failed' || r.status === 'skipped' || r.status === 'cancelled' ? 1 : 0;
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('cancel')
    .description('cancel a queued or running run')
    .argument('<run>', 'run id (see `agentdesk tasks history`)')
    .option('--json', 'print JSON')
    .action((id: string, o: { json?: boolean }) =>
      run(
        'cancel',
        async (c, json) => {
          const r = await c.tasks.cancel({ run_id: id });
          print(json, r, `Run ${r.id}: ${r.status === 'running' ? 'cancelling' : r.status}`);
        },
        Boolean(o.json),
      )(),
    );

  cmd
    .command('history')
    .description('runs, newest first')
    .argument('[task]', 'only this task (id or name)')
    .option('--agent <agent>', 'only this agent’s runs')
    .option(
      '--status <list>',
      `only these statuses, comma-separated (${RunStatuses.options.join(', ')})`,
      parseStatuses,
    )
    .option('--since <time>', 'queued at or after this ISO 8601 time', parseAt)
    .option('--limit <n>', 'most runs (default 50)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 500) throw new InvalidArgumentError('--limit must be 1–500');
      return n;
    })
    .option('--json', 'print JSON')
    .action(
      (
        ref: string | undefined,
        o: { agent?: string; status?: TaskRunStatus[]; since?: number; limit?: number; json?: boolean },
      ) =>
        run(
          'history',
          async (c, json) => {
            const task = ref ? await findTask(c, ref) : null;
            const agentId = o.agent ? (await findAgent(c, o.agent)).id : undefined;
            const { runs } = await c.tasks.history({
              limit: o.limit ?? 50,
              ...(task ? { task_id: task.id } : {}),
              ...(agentId ? { agent_id: agentId } : {}),
              ...(o.status ? { status: o.status } : {}),
              ...(o.since !== undefined ? { since: o.since } : {}),
            });
            const tasks = new Map((await c.tasks.list({})).tasks.map((t) => [t.id, t.name]));
            print(
              json,
              { runs },
              formatRuns(runs, (id) => tasks.get(id) ?? id),
            );
          },
          Boolean(o.json),
        )(),
    );

  return cmd;
}
