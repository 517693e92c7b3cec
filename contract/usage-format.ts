// Sums of usage rows, shared by the CLI's `usage` table and the Usage page.
import type { UsageRow } from './usage';

/** Sums of rows: model calls, tokens in and out, and cost in USD. */
export interface UsageSum {
  calls: number;
  tokensIn: number;
  tokensOut: number;
  usd: number;
}

/**
 * Rows summed by `key` (e.g. agent id, model, day), in the order each key first appears; callers
 * sort the entries as they show them.
 */
export function sumUsageBy(rows: readonly UsageRow[], key: (r: UsageRow) => string): [string, UsageSum][] {
  const m = new Map<string, UsageSum>();
  for (const r of rows) {
    const s = m.get(key(r)) ?? { calls: 0, tokensIn: 0, tokensOut: 0, usd: 0 };
    s.calls += r.calls;
    s.tokensIn += r.tokens_in;
    s.tokensOut += r.tokens_out;
    s.usd += r.cost_usd;
    m.set(key(r), s);
  }
  return [...m];
}
