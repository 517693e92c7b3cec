// Every page of the app, in sidebar order. A new feature is a new folder exporting a `Feature`, listed here.
import { agentsFeature } from './agents';
import { chatFeature } from './chat';
import { providersFeature } from './providers';
import { settingsFeature } from './settings';
import { systemFeature } from './system';
import { tasksFeature } from './tasks';
import { tracesFeature } from './traces';
import type { Feature } from './types';
import { usageFeature } from './usage';

export const FEATURES: readonly Feature[] = [
  agentsFeature,
  chatFeature,
  tasksFeature,
  providersFeature,
  tracesFeature,
  usageFeature,
  settingsFeature,
  systemFeature,
];

/** The page shown when the URL names none. */
export const DEFAULT_FEATURE_ID = 'agents';

export const FEATURE_IDS: readonly string[] = FEATURES.map((f) => f.id);
