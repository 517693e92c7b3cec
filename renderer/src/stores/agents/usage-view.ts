// What the Agents list's "Today" column shows for one agent: "1.2k tok · $0.004", "—" without calls, and why.
import type { AgentDayTotals } from '../../../../contract/traces';
import type { UsageState } from './initial-state';

const COMPACT = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const WHOLE = new Intl.NumberFormat('en');
const USD_SMALL = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 0,
  maximumFractionDigits: 3,
});
const USD = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const USD_EXACT = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 6,
});

/** A token count in few characters: 850 → "850", 1234 → "1.2k", 2_500_000 → "2.5M". */
export function formatTokens(n: number): string {
  return COMPACT.format(n).replace('K', 'k');
}

/** A cost in USD in few characters: 0 → "$0", 0.0042 → "$0.004", 0.0004 → "<$0.001", 1.234 → "$1.23". */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.001) return '<$0.001';
  return usd < 1 ? USD_SMALL.format(usd) : USD.format(usd);
}

/** The cell of one agent: the short `text`, its `title` (tooltip) and the sentence a screen reader reads. */
export interface UsageView {
  /** `none` = no model call that day, `calls` = some, `loading` = no answer yet, `error` = none could be had. */
  state: 'none' | 'calls' | 'loading' | 'error';
  text: string;
  title: string;
  spoken: string;
}

const SOURCE =
  'Tokens and cost are summed from the trace of every model call the agent makes through the gateway.';

/**
 * The "Today" cell of the agent whose totals are `t` (`undefined` when the answer has no entry for it,
 * e.g. an agent created since). "—" only when the day's answer says it made no call; while no answer
 * arrived, "…"; when none could be had, "n/a" with the error. The day is the UTC day the core totalled.
 * `local`: the agent's model is served on this machine (a provider of catalog kind `local`): calls with
 * no price cost "$0 (local)" rather than "no price".
 */
export function usageView(t: AgentDayTotals | undefined, usage: UsageState, local = false): UsageView {
  if (!usage.loaded) {
    if (usage.error)
      return {
        state: 'error',
        text: 'n/a',
        title: `Today's tokens and cost could not be loaded (${usage.error.code}): ${usage.error.message}`,
        spoken: "Today's tokens and cost could not be loaded.",
      };
    return {
      state: 'loading',
      text: '…',
      title: "Loading today's tokens and cost…",
      spoken: "Loading today's tokens and cost.",
    };
  }
  const day = `today (UTC day ${usage.day ?? '?'}, since 00:00 UTC)`;
  const stale = usage.error ? ` The last refresh failed: ${usage.error.message}` : '';
  if (!t || t.calls === 0)
    return {
      state: 'none',
      text: '—',
      title: `No model call ${day}. ${SOURCE}${stale}`,
      spoken: 'No model call today.',
    };
  const tokens = t.tokens_in + t.tokens_out;
  const cost = t.cost_usd === null ? (local ? '$0 (local)' : 'no price') : formatCost(t.cost_usd);
  const exactCost =
    t.cost_usd === null
      ? local
        ? '$0: a model on this machine'
        : 'cost unknown (LiteLLM has no price for the model)'
      : USD_EXACT.format(t.cost_usd);
  const calls = `${WHOLE.format(t.calls)} model call${t.calls === 1 ? '' : 's'}`;
  const failed = t.errors > 0 ? `, ${WHOLE.format(t.errors)} failed` : '';
  return {
    state: 'calls',
    text: `${formatTokens(tokens)} tok · ${cost}`,
    title:
      `${WHOLE.format(t.tokens_in)} tokens in, ${WHOLE.format(t.tokens_out)} out · ${exactCost} · ` +
      `${calls}${failed}, ${day}. ${SOURCE}${stale}`,
    spoken:
      `Today: ${WHOLE.format(tokens)} tokens, ` +
      `${t.cost_usd === null ? (local ? 'no cost, a local model' : 'cost unknown') : formatCost(t.cost_usd)}, ${calls}${failed}.`,
  };
}
