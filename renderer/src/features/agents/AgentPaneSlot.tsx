// The slot beside the agents list where the selected agent's chat or trace pane appears.
import { useEffect, useRef } from 'react';
import type { ReactElement } from 'react';
import type { Agent } from '../../../../contract/agents';
import type { AgentPaneKind } from '../../stores/agents';
import { agentPaneFor } from './panes';

const TITLES: Record<AgentPaneKind, string> = {
  chat: 'Chat',
  trace: 'Trace',
  network: 'Network',
  tasks: 'Tasks',
};

const NOT_YET: Record<AgentPaneKind, string> = {
  chat: 'The chat pane is not part of this build yet.',
  trace: 'The live trace pane is not part of this build yet.',
  network: 'The network pane is not part of this build yet.',
  tasks: 'The tasks pane is not part of this build yet.',
};

/**
 * A card titled "<emoji> <name> · Chat|Trace" holding the pane registered for `pane` (features/agents/panes.ts),
 * or a line saying it is not built yet. Focuses its heading when it opens or switches agent, so keyboard
 * and screen-reader users land in it; Escape inside closes it.
 */
export function AgentPaneSlot({
  agent,
  pane,
  onClose,
}: {
  agent: Agent;
  pane: AgentPaneKind;
  onClose: () => void;
}): ReactElement {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView?.({ block: 'nearest' });
  }, [agent.id, pane]);
  const Pane = agentPaneFor(pane);
  const titleId = `agent-pane-title-${pane}`;
  return (
    <section
      className="card agent-pane"
      aria-labelledby={titleId}
      data-testid="agent-pane"
      data-pane={pane}
      data-agent={agent.slug}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <div className="card__head">
        <h2 id={titleId} ref={heading} tabIndex={-1} className="agent-pane__title">
          <span aria-hidden="true">{agent.emoji}</span> {agent.name} · {TITLES[pane]}
        </h2>
        <button
          type="button"
          className="icon-button"
          aria-label={`Close the ${TITLES[pane].toLowerCase()} of ${agent.name}`}
          onClick={onClose}
          data-testid="agent-pane-close"
        >
          <span aria-hidden="true">×</span>
        </button>
      </div>
      {Pane ? <Pane agent={agent} onClose={onClose} /> : <p className="muted">{NOT_YET[pane]}</p>}
    </section>
  );
}
