import { describe, expect, it } from 'vitest';
import { describeRange, formatNumber, rangedNumber, SETTINGS_RANGES } from './ranges';

describe('formatNumber', () => {
  it('writes numbers as en-US toLocaleString does', () => {
    const cases = [
      0, 1, -1, 0.1, 0.01, 64, 999, 1000, 3650, 65_536, 1_000_000, 1234.5678, -2500.25, 0.0004, 1e15,
    ];
    for (const v of cases) expect(formatNumber(v), String(v)).toBe(v.toLocaleString('en-US'));
    // Random values on whole and two-decimal grids (no exact halves at the third decimal, where the two
    // roundings may differ in the last digit).
    let seed = 7;
    const rand = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const whole = Math.floor(rand() * 10 ** Math.floor(rand() * 12));
      expect(formatNumber(whole)).toBe(whole.toLocaleString('en-US'));
      const cents = Math.round(rand() * 1e8) / 100;
      expect(formatNumber(cents)).toBe(cents.toLocaleString('en-US'));
    }
  });

  it('is what range refusals and labels say', () => {
    expect(describeRange(SETTINGS_RANGES.trace_retention_days)).toMatch(/^1–3,650 days$/);
    const r = rangedNumber({ min: 0, max: 1_000_000, int: false, unit: 'USD' }).safeParse(2_000_000);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe('must be a number from 0 to 1,000,000 (USD)');
  });
});
