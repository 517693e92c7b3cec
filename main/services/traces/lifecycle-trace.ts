// The lifecycle trace of agents: one `lifecycle` event per phase change, and the verify windows that tag model calls.
import type { AgentPhase } from '../../../contract/agents';
import { traceEvent } from '../../../contract/traces';
import type { TraceEvent } from '../../../contract/traces';
import type { Logger } from '../../platform/logging';
import type { TraceRecorder } from './trace-recorder';
import type { VerifyWindows } from './verify-windows';

/** A phase change of an agent (`from` = `null` at creation; `at` = UTC ms). */
export interface PhaseTransition {
  id: string;
  from: AgentPhase | null;
  to: AgentPhase;
  reason: string | null;
  at: number;
}

/**
 * The `lifecycle` trace event of a phase change (a fresh id; `error` = the reason when the agent
 * failed). Payload: `{from_phase, to_phase, reason}`.
 */
export function lifecycleEvent(t: PhaseTransition): TraceEvent {
  return traceEvent('lifecycle', {
    created_at: t.at,
    agent_id: t.id,
    error: t.to === 'failed' ? t.reason : null,
    payload: { from_phase: t.from, to_phase: t.to, reason: t.reason },
  });
}

/**
 * Records agents' phase changes in their traces, and opens and closes their verify windows (entering and
 * leaving `verifying`). Never throws: an event that cannot be recorded is logged.
 */
export class LifecycleTraces {
  constructor(
    private readonly d: {
      recorder: Pick<TraceRecorder, 'record'>;
      verifies?: VerifyWindows;
      log: Pick<Logger, 'error'>;
    },
  ) {}

  /** Takes one phase change (a change to the same phase only moves the verify window). */
  transition(t: PhaseTransition): void {
    if (t.to === 'verifying') this.d.verifies?.begin(t.id, t.at);
    else if (t.from === 'verifying') this.d.verifies?.end(t.id, t.at);
    if (t.from === t.to) return;
    this.record(lifecycleEvent(t), 'lifecycle event could not be traced');
  }

  /** Records an event of an agent's trace; a failure is logged with `what`, never thrown. */
  record(e: TraceEvent, what = 'event could not be traced'): void {
    try {
      this.d.recorder.record(e);
    } catch (err) {
      this.d.log.error({ err, agent: e.agent_id }, what);
    }
  }
}
