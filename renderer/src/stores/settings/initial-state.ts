// State of the Settings form: what the core has, what the user changed, and what the core said about it.
import type { Settings } from '../../../../contract/settings';
import type { ShownError } from '../errors';

/** The fields the form edits (everything but the schema `version`). */
export type SettingsDraft = Omit<Settings, 'version'>;
export type SettingsField = keyof SettingsDraft;

/** Every editable field, in form order. */
export const SETTINGS_FIELDS: readonly SettingsField[] = [
  'theme',
  'close_to_tray',
  'start_at_login',
  'start_hidden',
  'stop_agents_on_quit',
  'container_runtime',
  'build_images_on_demand',
  'litellm_command',
  'trace_retention_days',
  'default_budget_day_usd',
  'default_budget_month_usd',
  'default_rpm',
  'webhook_listen',
];

export interface SettingsState {
  /** Settings as the core last reported them; `null` before the first load. */
  saved: Settings | null;
  /** Fields the user changed and has not saved yet. */
  edits: Partial<SettingsDraft>;
  loading: boolean;
  saving: boolean;
  loadError: ShownError | null;
  /** Errors the core (or a basic local check) gave for a field, shown under it. */
  fieldErrors: Partial<Record<SettingsField, string>>;
  /** An error of the last save that names no field. */
  saveError: ShownError | null;
  /** UTC ms of the last successful save, for the "Saved" note. */
  savedAt: number | null;
}

export const initialSettingsState: SettingsState = {
  saved: null,
  edits: {},
  loading: false,
  saving: false,
  loadError: null,
  fieldErrors: {},
  saveError: null,
  savedAt: null,
};
