// When tasks run next: cron in a time zone, intervals on their anchor, one-shots; refusals name the reason and a valid example.
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../contract/errors';
import { cronOf, nextFire, normalizeTrigger } from './task-schedule';

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (isAppError(err) && err.code === 'INVALID_INPUT') return err.message;
    throw err;
  }
  throw new Error('not refused');
};

describe('task schedule', () => {
  it('a weekday 09:00 cron in Europe/Paris fires at 08:00 UTC in winter, 07:00 in summer, skipping the weekend', () => {
    const t = normalizeTrigger({ kind: 'cron', cron: '0 9 * * 1-5', tz: 'Europe/Paris' }, 0);
    // Friday 2025-01-03 09:00 Paris has passed → Monday 2025-01-06 08:00Z.
    expect(new Date(nextFire(t, 0, Date.parse('2025-01-03T08:30:00Z'))!).toISOString()).toBe(
      '2025-01-06T08:00:00.000Z',
    );
    expect(new Date(nextFire(t, 0, Date.parse('2025-07-01T06:00:00Z'))!).toISOString()).toBe(
      '2025-07-01T07:00:00.000Z',
    );
  });

  it('a cron without a time zone gets the core’s own', () => {
    const t = normalizeTrigger({ kind: 'cron', cron: '*/15 * * * *' }, 0);
    expect(t).toEqual({
      kind: 'cron',
      cron: '*/15 * * * *',
      tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
    });
  });

  it('a bad cron expression: the reason and a valid example', () => {
    const m = refusal(() => normalizeTrigger({ kind: 'cron', cron: '61 * * * *', tz: 'UTC' }, 0));
    expect(m).toMatch(/^trigger\.cron: "61 \* \* \* \*" is not a valid cron expression \(.*minute.*\)/);
    expect(m).toContain('"0 9 * * 1-5"');
    expect(refusal(() => cronOf('every monday', 'UTC'))).toContain('e.g. "0 9 * * 1-5"');
  });

  it('a bad time zone: named, with valid examples', () => {
    const m = refusal(() => normalizeTrigger({ kind: 'cron', cron: '0 9 * * *', tz: 'Mars/Olympus' }, 0));
    expect(m).toBe(
      'trigger.tz: "Mars/Olympus" is not a time zone; use an IANA name such as "Europe/Paris", "America/New_York" or "UTC"',
    );
  });

  it('a cron that never fires is refused', () => {
    expect(refusal(() => normalizeTrigger({ kind: 'cron', cron: '0 0 30 2 *', tz: 'UTC' }, 0))).toMatch(
      /never fires|not a valid/,
    );
  });

  it('intervals fall on anchor + k × step, whatever the lateness; one-shots fire once', () => {
    const every = { kind: 'interval' as const, every_s: 60 };
    expect(nextFire(every, 1000, 1000)).toBe(61_000);
    expect(nextFire(every, 1000, 61_000)).toBe(121_000);
    expect(nextFire(every, 1000, 3_600_500)).toBe(3_601_000);
    expect(nextFire({ kind: 'once', at: 5000 }, 0, 4999)).toBe(5000);
    expect(nextFire({ kind: 'once', at: 5000 }, 0, 5000)).toBeNull();
    expect(nextFire({ kind: 'webhook' }, 0, 0)).toBeNull();
  });
});
