// Handlers for the `traces` group: pages of an agent's (or every agent's) trace events, and per-agent daily totals.
import { AppError } from '../../contract/errors';
import type { TraceDayTotals } from '../services/traces/trace-totals';
import type { TraceRecorder } from '../services/traces/trace-recorder';
import type { Handlers } from '../../contract/handlers';

/**
 * Builds the `traces` handlers. `agentExists` throws AppError NOT_FOUND for an unknown agent id, so a
 * mistyped id is an error rather than an empty trace. `totals` answers `traces.totals`; without it that
 * method answers UNAVAILABLE (a core wired before the totals existed).
 */
export function tracesHandlers(
  recorder: TraceRecorder,
  agentExists: (id: string) => void,
  totals?: TraceDayTotals,
): Handlers['traces'] {
  return {
    list: (q) => {
      if (q.agent_id) agentExists(q.agent_id);
      return recorder.query(q);
    },
    totals: (q) => {
      if (!totals) throw new AppError('UNAVAILABLE', 'Daily totals are not available in this core.');
      for (const id of q.agent_ids ?? []) agentExists(id);
      return totals.totals(q);
    },
  };
}
