// A drop-down choosing one agent or all of them, for the pages that filter by agent.
import type { ReactElement } from 'react';
import type { Agent } from '../../../contract/agents';

/**
 * A `<select>` of "All agents" (value `null`) then each of `agents` as "emoji name", in the given order.
 * `onChange` gets the chosen agent's id, or `null` for all.
 */
export function AgentFilter({
  agents,
  value,
  onChange,
  testId,
  className,
}: {
  agents: readonly Agent[];
  value: string | null;
  onChange: (agentId: string | null) => void;
  testId: string;
  className?: string;
}): ReactElement {
  return (
    <select
      className={className}
      value={value ?? ''}
      onChange={(e) => onChange(e.target.value || null)}
      data-testid={testId}
    >
      <option value="">All agents</option>
      {agents.map((a) => (
        <option key={a.id} value={a.id}>
          {a.emoji} {a.name}
        </option>
      ))}
    </select>
  );
}
