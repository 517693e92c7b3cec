// Derived views of the LLM state: badges, live timers and whether "Test model" can run.
import type { LitellmState, LlmStatus } from '../../../../contract/llm';
import type { BadgeTone } from '../../components/Badge';
import type { LlmState, ModelTestState } from './initial-state';

type Badge = { tone: BadgeTone; label: string };

const LITELLM_BADGES: Record<LitellmState, Badge> = {
  idle: { tone: 'neutral', label: 'Idle' },
  missing: { tone: 'warn', label: 'Not installed' },
  starting: { tone: 'progress', label: 'Starting' },
  ready: { tone: 'ok', label: 'Ready' },
  restarting: { tone: 'progress', label: 'Restarting' },
  failed: { tone: 'danger', label: 'Failed' },
  stopped: { tone: 'neutral', label: 'Stopped' },
};

const GATEWAY_BADGES: Record<LlmStatus['gateway']['state'], Badge> = {
  listening: { tone: 'ok', label: 'Listening' },
  stopped: { tone: 'neutral', label: 'Stopped' },
  error: { tone: 'danger', label: 'Error' },
};

/** Badge tone and text of a LiteLLM state (the meaning is always in the text, never in colour alone). */
export const litellmBadge = (state: LitellmState): Badge => LITELLM_BADGES[state];

/** Badge tone and text of the gateway's state. */
export const gatewayBadge = (state: LlmStatus['gateway']['state']): Badge => GATEWAY_BADGES[state];

/**
 * How long the serving LiteLLM has been ready at renderer time `now` (UTC ms), in ms: the core's
 * `uptime_ms` plus the time since the status arrived (so a clock difference between core and window
 * does not matter). `null` unless LiteLLM is ready.
 */
export function selectUptimeMs(s: Pick<LlmState, 'status' | 'receivedAt'>, now: number): number | null {
  const l = s.status?.litellm;
  if (!l || l.state !== 'ready' || l.uptime_ms === null || s.receivedAt === null) return null;
  return l.uptime_ms + Math.max(0, now - s.receivedAt);
}

/** ms until the next restart attempt at `now` (UTC ms, never negative); `null` unless restarting with a time set. */
export function selectRestartInMs(s: Pick<LlmState, 'status'>, now: number): number | null {
  const l = s.status?.litellm;
  if (!l || l.state !== 'restarting' || l.next_restart_at === null) return null;
  return Math.max(0, l.next_restart_at - now);
}

/** Whether "Test model" can run now, and if not, why (one line for the user). */
export interface TestAvailability {
  models: string[];
  /** The model select is usable (there are served models). */
  canPick: boolean;
  /** The Test button is usable. */
  canTest: boolean;
  /** Why the select or the button is disabled; `null` when both are usable. */
  reason: string | null;
}

const NO_MODEL_REASON: Record<LitellmState, string> = {
  idle: 'No model is served yet: add a provider with models on the Providers page.',
  missing: 'LiteLLM is not installed, so no model is served.',
  starting: 'LiteLLM is starting; its models appear here when it is ready.',
  ready: 'LiteLLM serves no model.',
  restarting: 'LiteLLM is restarting after a crash; no model is served meanwhile.',
  failed: 'LiteLLM failed, so no model is served. See its last lines below.',
  stopped: 'LiteLLM is stopped, so no model is served.',
};

const NOT_READY_REASON: Partial<Record<LitellmState, string>> = {
  starting: 'LiteLLM is starting; you can test once it is ready.',
  restarting: 'LiteLLM is restarting after a crash; you can test once it is ready again.',
  failed: 'LiteLLM failed; fix what its last lines say, then change or re-test a provider to start it again.',
  stopped: 'LiteLLM is stopped.',
};

/** What the "Test model" form may do with the current status (nothing before the first status). */
export function selectTestAvailability(s: Pick<LlmState, 'status'>): TestAvailability {
  const l = s.status?.litellm;
  if (!l) return { models: [], canPick: false, canTest: false, reason: 'Reading the LiteLLM status…' };
  if (l.models.length === 0)
    return { models: [], canPick: false, canTest: false, reason: NO_MODEL_REASON[l.state] };
  if (l.state !== 'ready')
    return {
      models: l.models,
      canPick: true,
      canTest: false,
      reason: NOT_READY_REASON[l.state] ?? NO_MODEL_REASON[l.state],
    };
  return { models: l.models, canPick: true, canTest: true, reason: null };
}

/** How the last test ended: `none` before any, `running`, `passed`, `failed` (`ok: false`) or `error` (thrown). */
export type TestOutcome = 'none' | 'running' | 'passed' | 'failed' | 'error';

/** The outcome of {@link ModelTestState}, for the result line and its `data-outcome`. */
export function testOutcome(t: ModelTestState): TestOutcome {
  if (t.running) return 'running';
  if (t.error) return 'error';
  if (!t.result) return 'none';
  return t.result.ok ? 'passed' : 'failed';
}
