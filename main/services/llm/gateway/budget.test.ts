// The gateway's budget guard: rate, daily and monthly budgets, reservations of calls in flight, alerts.
import { describe, expect, it } from 'vitest';
import type { UsageAlert } from '../../../../contract/usage';
import type { CallUsage } from '../../usage/usage-ledger';
import { BudgetGuard, reservationUsd } from './budget';

function guardWith(
  limits: { usd_day: number; usd_month: number; rpm: number },
  spent = { day: 0, month: 0 },
) {
  const added: CallUsage[] = [];
  const alerts: UsageAlert[] = [];
  const now = Date.parse('2025-03-10T12:00:00Z');
  const guard = new BudgetGuard({
    limitsOf: (owner) =>
      owner === 'a1'
        ? {
            ...limits,
            defaults: { usd_day: false, usd_month: false, rpm: false },
            name: 'Scout',
            slug: 'scout',
          }
        : null,
    ledger: {
      spent: () => ({ day: spent.day + sum(added), month: spent.month + sum(added) }),
      add: (c) => added.push(c),
    },
    onAlert: (a) => alerts.push(a),
    now: () => now,
  });
  return { guard, added, alerts, now };
}
const sum = (cs: CallUsage[]) => cs.reduce((s, c) => s + (c.cost_usd ?? 0), 0);
const call = (id: string, usd: number): CallUsage & { id: string } => ({
  id,
  owner: 'a1',
  model: 'p/m',
  created_at: 0,
  tokens_in: 10,
  tokens_out: 10,
  cost_usd: usd,
});

describe('BudgetGuard', () => {
  it('two calls in flight never both pass a budget with room for one', () => {
    const { guard } = guardWith({ usd_day: 1, usd_month: 100, rpm: 100 }, { day: 0.5, month: 0.5 });
    expect(guard.check('a1')).toBeNull();
    expect(guard.reserve('a1', 'c1', 0.4)).toBeNull();
    expect(guard.check('a1')).toBeNull();
    const second = guard.reserve('a1', 'c2', 0.4);
    expect(second?.status).toBe(429);
    expect(second?.message).toMatch(/daily budget: \$0\.90 of \$1\.00 spent \(calls in flight included\)/);
    // The first settles cheaper than reserved: room again.
    guard.settle(call('c1', 0.1));
    expect(guard.reserve('a1', 'c3', 0.3)).toBeNull();
  });

  it('a lone call passes while there is room, even when its estimate is larger; at the limit, 429 naming it and when it resets', () => {
    const { guard, now } = guardWith({ usd_day: 1, usd_month: 100, rpm: 100 }, { day: 0.9, month: 0.9 });
    expect(guard.reserve('a1', 'c1', 5)).toBeNull();
    guard.settle(call('c1', 0.2));
    const refused = guard.check('a1');
    expect(refused).toMatchObject({ status: 429, code: 'budget_exceeded', type: 'insufficient_quota' });
    expect(refused?.message).toContain('Agent "Scout" reached its daily budget: $1.10 of $1.00 spent');
    expect(refused?.message).toContain('agentdesk agents limits scout --budget-day USD');
    const reset = new Date(
      new Date(now).getFullYear(),
      new Date(now).getMonth(),
      new Date(now).getDate() + 1,
    );
    expect(refused?.message).toContain(reset.toISOString());
    expect(Number(refused?.headers?.['Retry-After'])).toBe(Math.ceil((reset.getTime() - now) / 1000));
  });

  it('the monthly budget is checked too, and a budget of 0 refuses every call', () => {
    expect(
      guardWith({ usd_day: 10, usd_month: 2, rpm: 100 }, { day: 0, month: 2 }).guard.check('a1')?.message,
    ).toMatch(/monthly budget.*--budget-month USD/);
    expect(guardWith({ usd_day: 0, usd_month: 2, rpm: 100 }).guard.check('a1')?.code).toBe('budget_exceeded');
  });

  it('requests per minute: the next one gets 429 with Retry-After', () => {
    const { guard } = guardWith({ usd_day: 10, usd_month: 10, rpm: 2 });
    expect(guard.check('a1')).toBeNull();
    expect(guard.check('a1')).toBeNull();
    const r = guard.check('a1');
    expect(r).toMatchObject({ status: 429, code: 'rate_limit_exceeded', headers: { 'Retry-After': '60' } });
    expect(r?.message).toContain('limit of 2 requests per minute');
  });

  it('owners that are not agents have no agent limits', () => {
    const { guard } = guardWith({ usd_day: 0, usd_month: 0, rpm: 1 });
    expect(guard.check('someone-else')).toBeNull();
    expect(guard.reserve('someone-else', 'c', 1)).toBeNull();
  });

  it('alerts once at 80 % and once at 100 % per period', () => {
    const { guard, alerts } = guardWith({ usd_day: 1, usd_month: 100, rpm: 100 });
    guard.settle(call('c1', 0.5));
    guard.settle(call('c2', 0.35));
    guard.settle(call('c3', 0.01));
    guard.settle(call('c4', 0.2));
    expect(alerts.map((a) => [a.limit, a.level])).toEqual([
      ['day', 'warning'],
      ['day', 'reached'],
    ]);
  });

  it('the reservation: request bytes / 4 in, max_tokens (else 4096) out, priced like the call', () => {
    const price = (_m: string, tin: number, tout: number) => tin * 1e-6 + tout * 2e-6;
    expect(reservationUsd({ model: 'p/m', max_tokens: 100 }, 400, price)).toBeCloseTo(100e-6 + 200e-6);
    expect(reservationUsd({ model: 'p/m' }, 4, price)).toBeCloseTo(1e-6 + 4096 * 2e-6);
    expect(reservationUsd({ model: 'p/m' }, 4, () => null)).toBe(0);
  });
});
