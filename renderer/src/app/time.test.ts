// The one time format: absolute, relative and full forms in the viewer's time zone.
import { describe, expect, it } from 'vitest';
import { absoluteTime, clockTime, fullTime, preciseClock, timeAgo } from './time';

/** Local time (the test machine's zone): a Date built from fields, as UTC ms. */
const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number =>
  new Date(y, mo - 1, d, h, mi, s, ms).getTime();

const NOW = local(2026, 12, 7, 15, 30);

describe('time', () => {
  it('writes clocks with a 24-hour clock, zero-padded', () => {
    expect(clockTime(local(2026, 12, 7, 9, 5))).toBe('09:05');
    expect(preciseClock(local(2026, 12, 7, 14, 3, 7, 12))).toBe('14:03:07.012');
  });

  it.each([
    [local(2026, 12, 7, 14, 2), '14:02'],
    [local(2026, 12, 6, 23, 59), 'yesterday 23:59'],
    [local(2026, 12, 8, 9, 0), 'tomorrow 09:00'],
    [local(2026, 12, 3, 14, 2), '3 Dec 14:02'],
    [local(2025, 6, 1, 8, 0), '1 Jun 2025 08:00'],
  ])('absoluteTime(%d) → %s', (at, text) => {
    expect(absoluteTime(at, NOW)).toBe(text);
  });

  it.each([
    [NOW - 10_000, 'just now'],
    [NOW + 60_000, 'just now'],
    [NOW - 60_000, '1 min ago'],
    [NOW - 5 * 60_000 - 30_000, '5 min ago'],
    [NOW - 3 * 3_600_000, '3 h ago'],
    [local(2026, 12, 6, 14, 2), 'yesterday 14:02'],
    [local(2026, 11, 20, 8, 15), '20 Nov 08:15'],
    [local(2024, 2, 29, 12, 0), '29 Feb 2024 12:00'],
  ])('timeAgo(%d) → %s', (at, text) => {
    expect(timeAgo(at, NOW)).toBe(text);
  });

  it('writes the full form for tooltips', () => {
    expect(fullTime(local(2026, 12, 7, 14, 2, 7))).toBe('Mon 7 Dec 2026 14:02:07');
  });
});
