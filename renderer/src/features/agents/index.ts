// The Agents feature, as listed in the sidebar; also the slot API the chat and trace features plug into.
import { AgentsIcon } from '../../components/Icons';
import type { Feature } from '../types';
import { AgentsPage } from './AgentsPage';
import { EgressPane } from './EgressPane';
import { registerAgentPane } from './panes';
import './agents.css';

registerAgentPane('network', EgressPane);

export const agentsFeature: Feature = {
  id: 'agents',
  label: 'Agents',
  icon: AgentsIcon,
  section: 'main',
  Page: AgentsPage,
  wide: true,
};

export { registerAgentPane } from './panes';
export type { AgentPaneProps } from './panes';
