// The Agents feature, as listed in the sidebar.
import { AgentsIcon } from '../../components/Icons';
import type { Feature } from '../types';
import { AgentsPage } from './AgentsPage';

export const agentsFeature: Feature = {
  id: 'agents',
  label: 'Agents',
  icon: AgentsIcon,
  section: 'main',
  Page: AgentsPage,
};
