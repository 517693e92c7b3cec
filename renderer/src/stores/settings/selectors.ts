// Derived views of the Settings state: the form's values and the patch to send.
import type { SettingsPatch } from '../../../../contract/settings';
import { SETTINGS_FIELDS } from './initial-state';
import type { SettingsDraft, SettingsState } from './initial-state';

/** The values the form shows: saved settings with the user's edits on top; `null` before the first load. */
export function selectDraft(s: Pick<SettingsState, 'saved' | 'edits'>): SettingsDraft | null {
  if (!s.saved) return null;
  const { version: _version, ...rest } = s.saved;
  return { ...rest, ...s.edits };
}

/** Only the edited fields whose value differs from what the core has. */
export function selectPatch(s: Pick<SettingsState, 'saved' | 'edits'>): SettingsPatch {
  const patch: Record<string, unknown> = {};
  if (!s.saved) return patch;
  for (const field of SETTINGS_FIELDS) {
    if (!(field in s.edits)) continue;
    const value = s.edits[field];
    if (!Object.is(value, s.saved[field])) patch[field] = value;
  }
  return patch;
}

/** True when there is something to save. */
export const selectDirty = (s: SettingsState): boolean => Object.keys(selectPatch(s)).length > 0;

/** The theme in force (saved, not the unsaved edit); `system` before the first load. */
export const selectSavedTheme = (s: SettingsState): SettingsDraft['theme'] => s.saved?.theme ?? 'system';
