// State of the Usage view: the summary of the chosen range, every agent's limits, and budget alerts.
import type { AgentLimits, UsageAlert, UsageSummary } from '../../../../../contract/usage';
import type { ShownError } from '../../../stores/errors';

/** The range shown: this month, or the last 7 or 30 days. */
export type UsageRange = 'month' | '7d' | '30d';

export interface UsageState {
  range: UsageRange;
  /** `null` = every agent. */
  agentId: string | null;
  summary: UsageSummary | null;
  /** Limits by agent id. */
  limits: Record<string, AgentLimits>;
  /** The newest alert per agent (80 % or 100 % of a budget), until its limits are changed. */
  alerts: Record<string, UsageAlert>;
  loading: boolean;
  error: ShownError | null;
}

export const initialUsageState: UsageState = {
  range: 'month',
  agentId: null,
  summary: null,
  limits: {},
  alerts: {},
  loading: false,
  error: null,
};
