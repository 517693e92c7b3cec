// Derived views of usage: range start, totals per agent, model and day, chart series, limit badges.
import type { AgentLimits, UsageRow } from '../../../../../contract/usage';
import { sumUsageBy } from '../../../../../contract/usage-format';
import type { UsageSum } from '../../../../../contract/usage-format';
import type { BadgeTone } from '../../../components/Badge';
import type { UsageRange } from './initial-state';

const pad = (n: number) => String(n).padStart(2, '0');
/** A local day `YYYY-MM-DD`. */
export const dayOf = (d: Date): string => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** The first local day of `range` at `now`. */
export function sinceOf(range: UsageRange, now: number): string {
  const d = new Date(now);
  if (range === 'month') return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-01`;
  d.setDate(d.getDate() - (range === '7d' ? 6 : 29));
  return dayOf(d);
}

/** Every local day from `since` to `until`, inclusive. */
export function daysBetween(since: string, until: string): string[] {
  const out: string[] = [];
  const [y, m, dd] = since.split('-').map(Number) as [number, number, number];
  for (let d = new Date(y, m - 1, dd); dayOf(d) <= until && out.length < 400; d.setDate(d.getDate() + 1))
    out.push(dayOf(d));
  return out;
}

/** Sums of rows. */
export type Sum = UsageSum;

/** Rows summed by `key`, the most expensive first. */
export function sumBy(rows: readonly UsageRow[], key: (r: UsageRow) => string): [string, Sum][] {
  return sumUsageBy(rows, key).sort((a, b) => b[1].usd - a[1].usd || b[1].calls - a[1].calls);
}

/** The chart's series: USD per day for each agent (days with nothing are 0). */
export function dailySeries(
  rows: readonly UsageRow[],
  days: readonly string[],
): { agentId: string; usd: number[]; tokens: number[] }[] {
  const agents = [...new Set(rows.map((r) => r.agent_id))];
  return agents.map((agentId) => {
    const mine = rows.filter((r) => r.agent_id === agentId);
    return {
      agentId,
      usd: days.map((d) => mine.filter((r) => r.day === d).reduce((s, r) => s + r.cost_usd, 0)),
      tokens: days.map((d) =>
        mine.filter((r) => r.day === d).reduce((s, r) => s + r.tokens_in + r.tokens_out, 0),
      ),
    };
  });
}

/** `$0.0042`, `$1.20`. */
export function usd(n: number): string {
  return `$${n.toFixed(n > 0 && n < 0.01 ? 4 : 2)}`;
}

/** The badge of an agent's limits, or `null` when within them. */
export function limitBadge(l: AgentLimits | undefined): { tone: BadgeTone; label: string } | null {
  if (!l || l.state === 'ok') return null;
  const which = l.spent_day >= l.usd_day * (l.state === 'reached' ? 1 : 0.8) ? 'daily' : 'monthly';
  return l.state === 'reached'
    ? { tone: 'danger', label: `${which} budget reached` }
    : {
        tone: 'warn',
        label: `${Math.round((which === 'daily' ? l.spent_day / l.usd_day : l.spent_month / l.usd_month) * 100)} % of ${which} budget`,
      };
}
