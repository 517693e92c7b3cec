// The Traces feature: the sidebar page, and the per-agent trace pane beside the agents list (agentsStore.openPane(id, 'trace')).
import { TracesIcon } from '../../components/Icons';
import { registerAgentPane } from '../agents/panes';
import type { Feature } from '../types';
import { TracePane } from './TracePane';
import { TracesPage } from './TracesPage';
import './traces.css';

registerAgentPane('trace', TracePane);

export const tracesFeature: Feature = {
  id: 'traces',
  label: 'Traces',
  icon: TracesIcon,
  section: 'main',
  Page: TracesPage,
};
