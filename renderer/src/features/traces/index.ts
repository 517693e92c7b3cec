// The Traces feature, as listed in the sidebar.
import { TracesIcon } from '../../components/Icons';
import type { Feature } from '../types';
import { TracesPage } from './TracesPage';

export const tracesFeature: Feature = {
  id: 'traces',
  label: 'Traces',
  icon: TracesIcon,
  section: 'main',
  Page: TracesPage,
};
