// Shapes of the `usage` group: spend limits per agent (USD/day, USD/month, requests/minute) and usage totals.
import { z } from 'zod';
import { AGENT_RANGES, spacedThousands } from './ranges';

/** An agent id (as contract/agents.ts AgentId; not imported from there, which imports this file). */
const AgentId = z.string().uuid('must be an agent id (a UUID, see `agents.list`)');

const USD = AGENT_RANGES.budget_usd;
const RPM = AGENT_RANGES.rpm;

/** A USD amount a limit may take: finite, ≥ 0, at most 1 000 000 (`AGENT_RANGES.budget_usd`). */
export const UsdLimit = z
  .number()
  .finite('must be a finite number of USD')
  .min(USD.min, `must be ${USD.min} or more USD`)
  .max(USD.max, `at most ${spacedThousands(USD.max)} USD`);
/** Requests per minute a limit may take (`AGENT_RANGES.rpm`). */
export const RpmLimit = z
  .number()
  .int('a whole number')
  .min(RPM.min, `at least ${RPM.min}`)
  .max(RPM.max, `at most ${spacedThousands(RPM.max)}`);

/** A local calendar day, `YYYY-MM-DD`. */
export const LocalDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day as YYYY-MM-DD');

/** Where an agent stands against one of its limits. */
export const LimitState = z.enum(['ok', 'warning', 'reached']);
export type LimitState = z.infer<typeof LimitState>;

/** An agent's limits and its spending against them (days and months are the core's local calendar). */
export const AgentLimits = z.object({
  agent_id: z.string(),
  usd_day: z.number(),
  usd_month: z.number(),
  rpm: z.number().int(),
  /** True when a limit comes from the Settings defaults (the agent has no value of its own). */
  defaults: z.object({ usd_day: z.boolean(), usd_month: z.boolean(), rpm: z.boolean() }),
  /** USD spent today / this month, calls in flight reserved included. */
  spent_day: z.number(),
  spent_month: z.number(),
  /** UTC ms of the next local midnight / first of next month, when the budgets reset. */
  day_resets_at: z.number().int(),
  month_resets_at: z.number().int(),
  /** `warning` from 80 %, `reached` at 100 % of the day or month budget. */
  state: LimitState,
});
export type AgentLimits = z.infer<typeof AgentLimits>;

/** Input of `usage.limits`. */
export const LimitsInput = z.object({ agent_id: AgentId.optional() }).strict();

/** Input of `usage.setLimits`: the limits to change; `null` = back to the Settings default. */
export const SetLimitsInput = z
  .object({
    agent_id: AgentId,
    usd_day: UsdLimit.nullable().optional(),
    usd_month: UsdLimit.nullable().optional(),
    rpm: RpmLimit.nullable().optional(),
  })
  .strict();
export type SetLimitsInput = z.input<typeof SetLimitsInput>;

/** Input of `usage.summary`. Days are the core's local calendar; default since = the first of this month. */
export const UsageQuery = z
  .object({
    agent_id: AgentId.optional(),
    since: LocalDay.optional(),
    until: LocalDay.optional(),
  })
  .strict();
export type UsageQuery = z.input<typeof UsageQuery>;

/** Sums of model calls. */
export const UsageTotals = z.object({
  calls: z.number().int(),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  cost_usd: z.number(),
});
export type UsageTotals = z.infer<typeof UsageTotals>;

/** One row: the calls of one agent to one model (the one that answered) on one local day. */
export const UsageRow = UsageTotals.extend({ day: LocalDay, agent_id: z.string(), model: z.string() });
export type UsageRow = z.infer<typeof UsageRow>;

/** Output of `usage.summary`. */
export const UsageSummary = z.object({
  since: LocalDay,
  until: LocalDay,
  rows: z.array(UsageRow),
  /** Today and this month, over every agent (or the one asked for). */
  today: UsageTotals,
  month: UsageTotals,
});
export type UsageSummary = z.infer<typeof UsageSummary>;

/** `usage.alert` event: an agent crossed 80 % (`warning`) or 100 % (`reached`) of a budget. */
export const UsageAlert = z.object({
  agent_id: z.string(),
  limit: z.enum(['day', 'month']),
  level: z.enum(['warning', 'reached']),
  spent_usd: z.number(),
  limit_usd: z.number(),
  resets_at: z.number().int(),
});
export type UsageAlert = z.infer<typeof UsageAlert>;
