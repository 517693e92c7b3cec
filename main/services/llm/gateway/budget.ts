// Spend limits of agents in the gateway: requests/minute and USD per day and month, checked before a call goes out.
import type { AgentLimits, LimitState, UsageAlert } from '../../../../contract/usage';
import { humanDuration, nextLocalMidnight, nextLocalMonth } from '../../usage/local-calendar';
import type { EffectiveLimits } from '../../usage/agent-limits';
import type { CallUsage } from '../../usage/usage-ledger';
import type { GatewayError } from './errors';
import { RequestWindows } from './request-window';

/** What the gateway asks of a budget (optional in GatewayOptions). */
export interface GatewayBudget {
  /** Before the body is read: the 429 when the owner is at a budget or its rate, else `null` (the request is counted for the rate). */
  check(owner: string, now?: number): GatewayError | null;
  /** Just before forwarding: reserves `estimateUsd` for call `callId`; the 429 when the budget has no room for it. */
  reserve(owner: string, callId: string, estimateUsd: number, now?: number): GatewayError | null;
  /** When the call's record is final (exact or estimated usage, priced from the served model): releases the reservation and counts the call. */
  settle(call: CallUsage & { id: string }): void;
}

/** What the guard needs. */
export interface BudgetGuardDeps {
  /** Limits of an agent, `null` when `owner` is not an agent (no agent limits then). */
  limitsOf(owner: string): (EffectiveLimits & { name: string; slug: string }) | null;
  /** Spending counted so far (usage-ledger.ts). */
  ledger: { spent(agent: string, at?: number): { day: number; month: number }; add(call: CallUsage): void };
  /** Called once per agent, limit and period when spending crosses 80 % and 100 %. */
  onAlert?: (alert: UsageAlert) => void;
  now?: () => number;
}

/** Output tokens reserved for a call whose request names no maximum. */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 4096;

/**
 * The USD to reserve for a call before it goes out: the request's tokens (bytes / 4, an upper bound)
 * and the most output it may produce (`max_tokens`, `max_completion_tokens` or `max_output_tokens`,
 * else {@link DEFAULT_RESERVED_OUTPUT_TOKENS}), priced like the call itself (LiteLLM's price map for the
 * requested model). 0 when the model has no price.
 */
export function reservationUsd(
  body: Record<string, unknown>,
  requestBytes: number,
  price: ((model: string, tokensIn: number, tokensOut: number) => number | null) | undefined,
): number {
  const model = typeof body.model === 'string' ? body.model : null;
  if (!model || !price) return 0;
  const cap = [body.max_tokens, body.max_completion_tokens, body.max_output_tokens].find(
    (v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0,
  );
  const usd = price(
    model,
    Math.ceil(requestBytes / 4),
    Math.min(cap ?? DEFAULT_RESERVED_OUTPUT_TOKENS, 1_000_000),
  );
  return usd !== null && Number.isFinite(usd) && usd > 0 ? usd : 0;
}

const usd = (n: number) => `$${n < 0.01 && n > 0 ? n.toPrecision(2) : n.toFixed(2)}`;

/**
 * Enforces each agent's limits in the gateway (docs/decisions/013-tasks-and-budgets.md):
 * - **Rate:** requests per minute, a sliding window of 60 s per agent, counted at {@link check}.
 * - **Budgets:** USD per local day and per local month. At {@link check} (before the body is read) an
 *   agent whose spending — calls in flight included at their reserved amount — has reached a budget
 *   gets 429. At {@link reserve} (body read, just before forwarding) the call's estimate
 *   ({@link reservationUsd}) is reserved: it passes when it fits in the room left, or when nothing else
 *   of the agent is in flight and the room is not empty. So two calls in flight never both pass a budget
 *   that has room for one; a lone call may overshoot by what it costs beyond its estimate.
 * - **Settle:** when the gateway writes the call's record — usage exact, or estimated for a cut answer,
 *   and priced from the model that answered — the reservation is released and the real cost counted.
 * The 429 names the limit, the spending and when it resets (also as `Retry-After`).
 */
export class BudgetGuard implements GatewayBudget {
  private readonly windows = new RequestWindows();
  private readonly reservations = new Map<string, { owner: string; usd: number }>();
  private readonly reserved = new Map<string, { usd: number; calls: number }>();
  /** `agent|day|YYYY-MM-DD|level` already alerted. */
  private readonly alerted = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly d: BudgetGuardDeps) {
    this.now = d.now ?? Date.now;
  }

  check(owner: string, now = this.now()): GatewayError | null {
    const limits = this.d.limitsOf(owner);
    if (!limits) return null;
    const over = this.overBudget(owner, limits, 0, now);
    if (over) return over;
    const retry = this.windows.admit(owner, now, limits.rpm);
    if (retry !== null)
      return {
        status: 429,
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        message: `Agent "${limits.name}" reached its limit of ${limits.rpm} requests per minute; it frees up in ${retry} s. Raise it with \`agentdesk agents limits ${limits.slug} --rpm N\` or in the agent's limits.`,
        headers: { 'Retry-After': String(retry) },
      };
    return null;
  }

  reserve(owner: string, callId: string, estimateUsd: number, now = this.now()): GatewayError | null {
    const limits = this.d.limitsOf(owner);
    if (!limits) return null;
    const over = this.overBudget(owner, limits, estimateUsd, now);
    if (over) return over;
    this.reservations.set(callId, { owner, usd: estimateUsd });
    const r = this.reserved.get(owner) ?? { usd: 0, calls: 0 };
    r.usd += estimateUsd;
    r.calls += 1;
    this.reserved.set(owner, r);
    return null;
  }

  settle(call: CallUsage & { id: string }): void {
    const held = this.reservations.get(call.id);
    if (held) {
      this.reservations.delete(call.id);
      const r = this.reserved.get(held.owner);
      if (r) {
        r.usd = Math.max(0, r.usd - held.usd);
        r.calls -= 1;
        if (r.calls <= 0) this.reserved.delete(held.owner);
      }
    }
    this.d.ledger.add(call);
    if (call.owner && call.cost_usd) this.alertIfCrossed(call.owner, this.now());
  }

  /** An agent's limits with its spending (reservations included) and state, for `usage.limits`. */
  state(agentId: string, now = this.now()): AgentLimits | null {
    const limits = this.d.limitsOf(agentId);
    if (!limits) return null;
    const s = this.spending(agentId, now);
    return {
      agent_id: agentId,
      usd_day: limits.usd_day,
      usd_month: limits.usd_month,
      rpm: limits.rpm,
      defaults: limits.defaults,
      spent_day: s.day,
      spent_month: s.month,
      day_resets_at: nextLocalMidnight(now),
      month_resets_at: nextLocalMonth(now),
      state: worst(levelOf(s.day, limits.usd_day), levelOf(s.month, limits.usd_month)),
    };
  }

  /** Why the agent's calls are refused now (a budget reached), one line; `null` when they are not. */
  refusal(agentId: string, now = this.now()): string | null {
    const limits = this.d.limitsOf(agentId);
    return limits ? (this.overBudget(agentId, limits, 0, now)?.message ?? null) : null;
  }

  private spending(owner: string, now: number): { day: number; month: number; inFlight: number } {
    const spent = this.d.ledger.spent(owner, now);
    const r = this.reserved.get(owner);
    return { day: spent.day + (r?.usd ?? 0), month: spent.month + (r?.usd ?? 0), inFlight: r?.calls ?? 0 };
  }

  /** The 429 when adding `estimate` to the agent's spending does not fit a budget (see the class comment). */
  private overBudget(
    owner: string,
    limits: EffectiveLimits & { name: string; slug: string },
    estimate: number,
    now: number,
  ): GatewayError | null {
    const s = this.spending(owner, now);
    const fits = (spent: number, limit: number) =>
      spent < limit && (spent + estimate <= limit || s.inFlight === 0);
    // The common case costs two comparisons; the 429's dates are computed only when one is sent.
    if (fits(s.day, limits.usd_day) && fits(s.month, limits.usd_month)) return null;
    const periods = [
      {
        kind: 'daily',
        spent: s.day,
        limit: limits.usd_day,
        resets: nextLocalMidnight(now),
        flag: '--budget-day',
        at: 'midnight',
      },
      {
        kind: 'monthly',
        spent: s.month,
        limit: limits.usd_month,
        resets: nextLocalMonth(now),
        flag: '--budget-month',
        at: 'the first of next month',
      },
    ];
    for (const p of periods) {
      if (fits(p.spent, p.limit)) continue;
      const retry = Math.max(1, Math.ceil((p.resets - now) / 1000));
      return {
        status: 429,
        type: 'insufficient_quota',
        code: 'budget_exceeded',
        message: `Agent "${limits.name}" reached its ${p.kind} budget: ${usd(p.spent)} of ${usd(p.limit)} spent${s.inFlight ? ' (calls in flight included)' : ''}. It resets at ${p.at}, local time (${new Date(p.resets).toISOString()}, in ${humanDuration(p.resets - now)}). Raise it with \`agentdesk agents limits ${limits.slug} ${p.flag} USD\` or in the agent's limits.`,
        headers: { 'Retry-After': String(retry) },
      };
    }
    return null;
  }

  private alertIfCrossed(owner: string, now: number): void {
    const limits = this.d.limitsOf(owner);
    if (!limits || !this.d.onAlert) return;
    const spent = this.d.ledger.spent(owner, now);
    const checks = [
      { limit: 'day' as const, spent: spent.day, of: limits.usd_day },
      { limit: 'month' as const, spent: spent.month, of: limits.usd_month },
    ];
    for (const c of checks) {
      const level = levelOf(c.spent, c.of);
      if (level === 'ok') continue;
      const resets = c.limit === 'day' ? nextLocalMidnight(now) : nextLocalMonth(now);
      const key = `${owner}|${c.limit}|${resets}|${level}`;
      if (this.alerted.has(key)) continue;
      this.alerted.add(key);
      this.d.onAlert({
        agent_id: owner,
        limit: c.limit,
        level,
        spent_usd: c.spent,
        limit_usd: c.of,
        resets_at: resets,
      });
    }
  }
}

/** `reached` at 100 % of `limit`, `warning` from 80 %, else `ok`. */
export function levelOf(spent: number, limit: number): LimitState {
  if (spent >= limit) return 'reached';
  if (spent >= limit * 0.8) return 'warning';
  return 'ok';
}

function worst(a: LimitState, b: LimitState): LimitState {
  const rank = { ok: 0, warning: 1, reached: 2 } as const;
  return rank[a] >= rank[b] ? a : b;
}
