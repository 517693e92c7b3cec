// The phase of an agent as a coloured badge: one colour per phase, and always its name in text.
import type { ReactElement } from 'react';
import type { AgentPhase } from '../../../../contract/agents';
import { isTransient, PHASE_LABELS } from '../../stores/agents';

/** Badge `phase--<phase>` with a spinner while the phase is transient (creating, stopping …). */
export function PhaseBadge({ phase, testId }: { phase: AgentPhase; testId?: string }): ReactElement {
  return (
    <span className={`phase phase--${phase}`} data-phase={phase} data-testid={testId}>
      {isTransient(phase) ? (
        <span className="badge__spinner" aria-hidden="true" />
      ) : (
        <span className="phase__dot" aria-hidden="true" />
      )}
      {PHASE_LABELS[phase]}
    </span>
  );
}
