// The Settings feature, as listed in the sidebar.
import { SettingsIcon } from '../../components/Icons';
import type { Feature } from '../types';
import { SettingsPage } from './SettingsPage';
import './settings.css';

export const settingsFeature: Feature = {
  id: 'settings',
  label: 'Settings',
  icon: SettingsIcon,
  section: 'footer',
  Page: SettingsPage,
};
