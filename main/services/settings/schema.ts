// Settings: zod schema, defaults and current version in one place (migrations: settings-store.ts).
import { Settings } from '../../../contract/settings';

/** Version of the settings shape. Bump it and add a step to `settings-store.ts` MIGRATIONS when it changes. */
export const SETTINGS_VERSION = 2;

/** Defaults for a fresh data dir. `close_to_tray: null` means the platform default (decided by the shell). */
export const DEFAULT_SETTINGS: Settings = {
  version: SETTINGS_VERSION,
  theme: 'system',
  close_to_tray: null,
  start_at_login: false,
  start_hidden: false,
  stop_agents_on_quit: true,
  container_runtime: 'docker',
  build_images_on_demand: true,
  litellm_command: null,
  trace_retention_days: 30,
  onboarding_done: false,
  default_budget_day_usd: 5,
  default_budget_month_usd: 50,
  default_rpm: 60,
  webhook_listen: '127.0.0.1',
  webhook_port: 0,
};

export { Settings as SettingsSchema };
