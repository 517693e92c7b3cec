// The Usage feature: the sidebar page (spend, tokens, chart, limits) and the limits dialog other features open.
import type { Feature } from '../types';
import { UsageIcon } from './UsageIcon';
import { UsagePage } from './UsagePage';
import './usage.css';

export { LimitsDialog } from './LimitsDialog';
export { usageStore, useUsage, limitBadge } from './store';

export const usageFeature: Feature = {
  id: 'usage',
  label: 'Usage',
  icon: UsageIcon,
  section: 'main',
  Page: UsagePage,
};
