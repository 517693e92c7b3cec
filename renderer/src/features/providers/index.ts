// The Providers feature, as listed in the sidebar.
import { ProvidersIcon } from '../../components/Icons';
import type { Feature } from '../types';
import { ProvidersPage } from './ProvidersPage';
import './providers.css';

export const providersFeature: Feature = {
  id: 'providers',
  label: 'Providers',
  icon: ProvidersIcon,
  section: 'main',
  Page: ProvidersPage,
};
