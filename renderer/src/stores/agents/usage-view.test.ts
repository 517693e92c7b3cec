// Unit tests of the "Today" cell's wording: compact tokens and costs, the dash only without calls, the stale note.
import { describe, expect, it } from 'vitest';
import { sampleDayTotals } from '../../test/fake-client';
import { formatCost, formatTokens, usageView } from './usage-view';
import type { UsageState } from './initial-state';

const LOADED: UsageState = { totals: {}, day: '2024-05-01', loaded: true, error: null };

describe('usage view', () => {
  it('writes token counts and costs in few characters', () => {
    expect([0, 850, 1234, 12_345, 999_999, 2_500_000].map(formatTokens)).toEqual([
      '0',
      '850',
      '1.2k',
      '12.3k',
      '1M',
      '2.5M',
    ]);
    expect([0, 0.0004, 0.004, 0.0042, 0.0625, 1.234, 1234.5].map(formatCost)).toEqual([
      '$0',
      '<$0.001',
      '$0.004',
      '$0.004',
      '$0.063',
      '$1.23',
      '$1,234.50',
    ]);
  });

  it('shows "—" only for an agent without a call that day, and numbers for one whose calls all failed', () => {
    expect(usageView(undefined, LOADED)).toMatchObject({ state: 'none', text: '—' });
    expect(usageView(sampleDayTotals(), LOADED)).toMatchObject({ state: 'none', text: '—' });
    const failed = usageView(sampleDayTotals({ calls: 2, errors: 2, cost_usd: 0 }), LOADED);
    expect(failed).toMatchObject({ state: 'calls', text: '0 tok · $0' });
    expect(failed.title).toContain('2 model calls, 2 failed');
  });

  it('keeps the last totals after a failed refresh and says so in the title', () => {
    const error = { code: 'UNAVAILABLE' as const, message: 'core busy', unreachable: false };
    const v = usageView(sampleDayTotals({ tokens_in: 5, calls: 1 }), { ...LOADED, error });
    expect(v.text).toBe('5 tok · no price');
    expect(v.title).toMatch(/The last refresh failed: core busy$/);
  });

  it('says "$0 (local)" for unpriced calls of a model served on this machine, "no price" elsewhere', () => {
    const t = sampleDayTotals({ tokens_in: 5, calls: 1, cost_usd: null });
    expect(usageView(t, LOADED, true).text).toBe('5 tok · $0 (local)');
    expect(usageView(t, LOADED, true).title).toContain('$0: a model on this machine');
    expect(usageView(t, LOADED).text).toBe('5 tok · no price');
  });
});
