// The chat and trace panes shown beside the agents list: registered by the features that build them.
import type { ComponentType } from 'react';
import type { Agent } from '../../../../contract/agents';
import type { AgentPaneKind } from '../../stores/agents';

/** What a pane receives: the selected agent (live from the store) and how to close the pane. */
export interface AgentPaneProps {
  agent: Agent;
  onClose: () => void;
}

const panes: Partial<Record<AgentPaneKind, ComponentType<AgentPaneProps>>> = {};

/**
 * Registers the component that renders `kind` for the selected agent. The chat feature calls
 * `registerAgentPane('chat', ChatPane)` (and traces `'trace'`) when its module loads; a later call
 * replaces an earlier one. The pane is opened by `agentsStore.getState().openPane(id, kind)`.
 */
export function registerAgentPane(kind: AgentPaneKind, component: ComponentType<AgentPaneProps>): void {
  panes[kind] = component;
}

/** The registered component for `kind`, or `undefined` when no feature registered one. */
export function agentPaneFor(kind: AgentPaneKind): ComponentType<AgentPaneProps> | undefined {
  return panes[kind];
}
