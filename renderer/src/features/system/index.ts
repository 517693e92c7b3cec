// The System feature, as listed in the sidebar.
import { SystemIcon } from '../../components/Icons';
import type { Feature } from '../types';
import { SystemPage } from './SystemPage';
import './system.css';

export const systemFeature: Feature = {
  id: 'system',
  label: 'System',
  icon: SystemIcon,
  section: 'footer',
  Page: SystemPage,
};
