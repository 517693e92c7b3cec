// Handlers for the `traces` group: pages of an agent's (or every agent's) trace events.
import type { TraceRecorder } from '../services/traces/trace-recorder';
import type { Handlers } from '../transport/dispatch';

/**
 * Builds the `traces` handlers. `agentExists` throws AppError NOT_FOUND for an unknown agent id, so a
 * mistyped id is an error rather than an empty trace.
 */
export function tracesHandlers(
  recorder: TraceRecorder,
  agentExists: (id: string) => void,
): Handlers['traces'] {
  return {
    list: (q) => {
      if (q.agent_id) agentExists(q.agent_id);
      return recorder.query(q);
    },
  };
}
