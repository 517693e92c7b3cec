// Bounded numbers whose refusals say the valid range, and the ranges of the settings the UI shows beside each field.
import { z } from 'zod';

/** A closed range of a number field: `min`..`max`, whole numbers when `int`, with the unit people read. */
export interface NumberRange {
  min: number;
  max: number;
  int: boolean;
  /** e.g. `days`, `USD`; empty when the number has no unit. */
  unit: string;
}

/**
 * `v` as `toLocaleString('en-US')` writes it ("3,650", "0.1", "1,234.568": commas between thousands, at
 * most three decimals, half away from zero), for finite `v` below 1e21. Written out because the first
 * `toLocaleString` loads ICU number data: about 11 ms of the core's start when the schemas are built.
 */
export function formatNumber(v: number): string {
  const fixed = Math.abs(v)
    .toFixed(3)
    .replace(/\.?0+$/, '');
  const [int = '0', frac] = fixed.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+$)/g, ',');
  const sign = v < 0 && fixed !== '0' ? '-' : '';
  return `${sign}${grouped}${frac ? `.${frac}` : ''}`;
}

/** "1–3,650 days": how a range is shown beside its field. */
export function describeRange(r: NumberRange): string {
  const n = formatNumber;
  return `${n(r.min)}–${n(r.max)}${r.unit ? ` ${r.unit}` : ''}`;
}

/**
 * A zod number limited to `r`. Every refusal (not a number, not whole, out of range) has the same
 * message, which names the range — e.g. "must be a whole number from 1 to 3,650 (days)" — instead of
 * zod's "Too small: expected number to be >=1".
 */
export function rangedNumber(r: NumberRange): z.ZodNumber {
  const n = formatNumber;
  const error = `must be ${r.int ? 'a whole number' : 'a number'} from ${n(r.min)} to ${n(r.max)}${r.unit ? ` (${r.unit})` : ''}`;
  const base = z.number({ error });
  return (r.int ? base.int({ error }) : base).min(r.min, { error }).max(r.max, { error });
}

/** Ranges of the numeric settings (contract/settings.ts `Settings`). */
export const SETTINGS_RANGES = {
  trace_retention_days: { min: 1, max: 3650, int: true, unit: 'days' },
  default_budget_day_usd: { min: 0, max: 1_000_000, int: false, unit: 'USD' },
  default_budget_month_usd: { min: 0, max: 1_000_000, int: false, unit: 'USD' },
  default_rpm: { min: 1, max: 100_000, int: true, unit: 'requests per minute' },
  webhook_port: { min: 0, max: 65535, int: true, unit: '' },
} as const satisfies Record<string, NumberRange>;

/**
 * Ranges of an agent's limits (contract/agents.ts `AgentCreateInput`, `AgentLimitsInput`; contract/usage.ts
 * `UsdLimit`, `RpmLimit`): the schemas and the create form's checks both read them, so they cannot differ.
 */
export const AGENT_RANGES = {
  memory_mib: { min: 128, max: 65_536, int: true, unit: 'MiB' },
  cpus: { min: 0.1, max: 64, int: false, unit: 'CPUs' },
  pids_limit: { min: 64, max: 65_536, int: true, unit: 'processes' },
  budget_usd: { min: 0, max: 1_000_000, int: false, unit: 'USD' },
  rpm: { min: 1, max: 100_000, int: true, unit: 'requests per minute' },
} as const satisfies Record<string, NumberRange>;

/** A whole number with spaced thousands, as the limits' messages write it ("1 000 000"). */
export function spacedThousands(n: number): string {
  // Whole numbers without Intl: its first use loads ICU number data (about 15 ms of the core's start).
  if (Number.isSafeInteger(n)) return String(n).replace(/\B(?=(\d{3})+$)/g, ' ');
  return n.toLocaleString('en-US').replace(/,/g, ' ');
}

/** Longest agent name, in characters after trimming. */
export const AGENT_NAME_MAX = 64;
