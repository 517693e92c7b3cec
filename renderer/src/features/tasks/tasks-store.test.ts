// The Tasks store and form: history filters applied to live runs, run merging, next-run labels, form → contract input.
import { describe, expect, it } from 'vitest';
import type { Task, TaskRun } from '../../../../contract/tasks';
import { mergeRun, nextRunByAgent, nextRunLabel, runPasses, untilLabel } from './store';
import { createInputOf, emptyForm, fieldOfError, formOf } from './task-form';

const run = (over: Partial<TaskRun>): TaskRun =>
  ({ id: 'r', task_id: 't', agent_id: 'a', status: 'queued', queued_at: 0, ...over }) as TaskRun;
const task = (over: Partial<Task>): Task =>
  ({
    id: 't',
    agent_id: 'a',
    name: 'T',
    enabled: true,
    next_run_at: null,
    trigger: { kind: 'interval', every_s: 60 },
    ...over,
  }) as Task;

describe('tasks store selectors', () => {
  it('a live run enters the history only when it passes the filters', () => {
    const f = { agentId: 'a', taskId: null, statuses: ['failed' as const] };
    expect(runPasses(run({ status: 'failed' }), f)).toBe(true);
    expect(runPasses(run({ status: 'succeeded' }), f)).toBe(false);
    expect(runPasses(run({ status: 'failed', agent_id: 'b' }), f)).toBe(false);
  });

  it('a run replaces its earlier version and keeps the history newest first', () => {
    const runs = [run({ id: 'r3', queued_at: 3 }), run({ id: 'r1', queued_at: 1 })];
    expect(mergeRun(runs, run({ id: 'r2', queued_at: 2 })).map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);
    expect(
      mergeRun(runs, run({ id: 'r1', queued_at: 1, status: 'failed' })).map((r) => [r.id, r.status]),
    ).toEqual([
      ['r3', 'queued'],
      ['r1', 'failed'],
    ]);
  });

  it('next-run labels', () => {
    expect(untilLabel(1000 + 90_000, 1000)).toBe('in 2 min');
    expect(untilLabel(3 * 3_600_000 + 600_000, 0)).toBe('in 3 h 10 min');
    expect(nextRunLabel(task({ enabled: false, next_run_at: 5 }), 0)).toBe('disabled');
    expect(nextRunLabel(task({ trigger: { kind: 'webhook' } }), 0)).toBe('on webhook');
    expect(nextRunLabel(task({ trigger: { kind: 'once', at: 1 } }), 0)).toBe('done');
    expect(
      nextRunByAgent([
        task({ next_run_at: 50 }),
        task({ next_run_at: 20 }),
        task({ next_run_at: 10, enabled: false }),
      ]).get('a'),
    ).toBe(20);
  });
});

describe('task form', () => {
  it('a new form is a weekday 09:00 cron in the local zone; it becomes the create input', () => {
    const f = { ...emptyForm('a1'), prompt: '  Report  ' };
    const r = createInputOf(f);
    if (!('input' in r)) throw new Error(r.error);
    expect(r.input).toMatchObject({
      agent_id: 'a1',
      prompt: 'Report',
      thread_id: null,
      overlap: 'wait',
      missed: 'run_once',
    });
    expect(r.input.trigger).toEqual({ kind: 'cron', cron: '0 9 * * 1-5', tz: f.tz });
  });

  it('intervals in minutes and hours; a named thread needs its name; an empty prompt is refused', () => {
    expect(
      createInputOf({ ...emptyForm('a'), prompt: 'x', kind: 'interval', every: '15', everyUnit: 'min' }),
    ).toMatchObject({ input: { trigger: { kind: 'interval', every_s: 900 } } });
    expect(createInputOf({ ...emptyForm('a'), prompt: 'x', threadMode: 'named' })).toHaveProperty(
      'field',
      'task-thread',
    );
    expect(createInputOf({ ...emptyForm('a'), prompt: ' ' })).toHaveProperty('field', 'task-prompt');
  });

  it('an existing task fills the form back; the core’s refusal lands under its field', () => {
    const f = formOf(
      task({ trigger: { kind: 'interval', every_s: 7200 }, prompt: 'p', name: 'n', thread_id: 'daily' }),
    );
    expect([f.kind, f.every, f.everyUnit, f.threadMode, f.threadId]).toEqual([
      'interval',
      '2',
      'h',
      'named',
      'daily',
    ]);
    expect(fieldOfError('trigger.tz: "Mars" is not a time zone', { field: 'trigger.tz' })).toBe('task-tz');
    expect(fieldOfError('trigger.cron: "61 * * * *" is not a valid cron expression')).toBe('task-cron');
    expect(fieldOfError('Something else')).toBeNull();
  });
});
