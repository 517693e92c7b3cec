// When a task runs next: cron expressions in a time zone (croner), fixed intervals, one-shots; checked with clear errors.
import { Cron } from 'croner';
import type { TaskTrigger } from '../../../contract/tasks';
import { AppError } from '../../../contract/errors';
import { describeInterval } from '../../../contract/task-format';

/** An example of a valid cron expression, shown with every refusal. */
export const CRON_EXAMPLE = '"0 9 * * 1-5" (09:00 on weekdays) or "*/15 * * * *" (every 15 minutes)';
/** An example of a valid time zone. */
export const TZ_EXAMPLE = '"Europe/Paris", "America/New_York" or "UTC"';

/** The core's own IANA time zone (the default of cron triggers). */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * Checks an IANA time zone name against the runtime's ICU data (`Intl.DateTimeFormat` throws a
 * RangeError for an unknown one). @throws AppError INVALID_INPUT naming it, with examples.
 */
export function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new AppError(
      'INVALID_INPUT',
      `trigger.tz: "${tz.slice(0, 64)}" is not a time zone; use an IANA name such as ${TZ_EXAMPLE}`,
      { field: 'trigger.tz' },
    );
  }
}

/**
 * A croner job for `expr` in `tz`, never started (we only ask it for dates). 5 fields (minute hour
 * day month weekday) or 6 with seconds first; names (`MON`, `JAN`) and nicknames (`@daily`) accepted.
 * @throws AppError INVALID_INPUT with croner's reason and a valid example.
 */
export function cronOf(expr: string, tz: string): Cron {
  checkTimeZone(tz);
  try {
    return new Cron(expr, { timezone: tz, paused: true, mode: '5-or-6-parts' });
  } catch (err) {
    const reason = (err as Error).message.replace(/^CronPattern: /, '');
    throw new AppError(
      'INVALID_INPUT',
      `trigger.cron: "${expr.slice(0, 200)}" is not a valid cron expression (${reason}); write 5 fields "minute hour day-of-month month day-of-week", e.g. ${CRON_EXAMPLE}`,
      { field: 'trigger.cron' },
    );
  }
}

/**
 * The trigger as stored: a cron trigger gets the core's time zone when it has none, and is checked; a
 * cron expression that never fires (e.g. 30 February) is refused.
 * @throws AppError INVALID_INPUT naming the field, the reason and a valid example.
 */
export function normalizeTrigger(trigger: TaskTrigger, now: number): TaskTrigger {
  if (trigger.kind !== 'cron') return trigger;
  const tz = trigger.tz ?? localTimeZone();
  const job = cronOf(trigger.cron, tz);
  if (job.nextRun(new Date(now)) === null)
    throw new AppError('INVALID_INPUT', `trigger.cron: "${trigger.cron}" never fires; e.g. ${CRON_EXAMPLE}`, {
      field: 'trigger.cron',
    });
  return { kind: 'cron', cron: trigger.cron, tz };
}

/**
 * The first time strictly after `after` (UTC ms) when `trigger` fires, or `null` (webhooks; a one-shot
 * whose time is not after `after`). Intervals fall on `anchor + k × every_s`, so a late start keeps the
 * rhythm instead of drifting.
 */
export function nextFire(trigger: TaskTrigger, anchor: number, after: number): number | null {
  switch (trigger.kind) {
    case 'cron':
      return (
        cronOf(trigger.cron, trigger.tz ?? localTimeZone())
          .nextRun(new Date(after))
          ?.getTime() ?? null
      );
    case 'interval': {
      const step = trigger.every_s * 1000;
      if (after < anchor) return anchor;
      return anchor + (Math.floor((after - anchor) / step) + 1) * step;
    }
    case 'once':
      return trigger.at > after ? trigger.at : null;
    case 'webhook':
      return null;
  }
}

/** One line describing a trigger, e.g. `cron 0 9 * * 1-5 (Europe/Paris)`, `every 15 min`. */
export function describeTrigger(t: TaskTrigger): string {
  switch (t.kind) {
    case 'cron':
      return `cron ${t.cron}${t.tz ? ` (${t.tz})` : ''}`;
    case 'interval':
      return describeInterval(t.every_s);
    case 'once':
      return `once at ${new Date(t.at).toISOString()}`;
    case 'webhook':
      return 'webhook';
  }
}
