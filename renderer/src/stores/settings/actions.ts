// Settings actions: load, edit, save a patch, and follow `settings.changed` from other UIs or the CLI.
import type { StoreApi } from 'zustand/vanilla';
import type { Settings } from '../../../../contract/settings';
import type { ClientGetter } from '../client';
import { toShownError } from '../errors';
import { splitFieldErrors } from './field-errors';
import type { SettingsDraft, SettingsField, SettingsState } from './initial-state';
import { selectPatch } from './selectors';

export interface SettingsActions {
  /** Fetches the settings from the core. */
  load(): Promise<void>;
  /** Records an edit of one field (not sent until {@link SettingsActions.save}). */
  edit<F extends SettingsField>(field: F, value: SettingsDraft[F]): void;
  /** Drops every unsaved edit and error. */
  revert(): void;
  /** Sends the changed fields with `settings.update`; on failure keeps the edits and shows the errors. */
  save(): Promise<boolean>;
  /** Takes settings pushed by `settings.changed`; unsaved edits of other fields are kept. */
  applyRemote(settings: Settings): void;
  /** Subscribes to `settings.changed`; returns the unsubscribe function. */
  follow(): () => void;
}

type Set = StoreApi<SettingsState & SettingsActions>['setState'];
type Get = StoreApi<SettingsState & SettingsActions>['getState'];

/** Drops edits that now equal the saved value. */
function pruneEdits(saved: Settings, edits: Partial<SettingsDraft>): Partial<SettingsDraft> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(edits)) if (!Object.is(v, saved[k as SettingsField])) out[k] = v;
  return out;
}

/** Builds the Settings actions over the injected client. Failures are kept in state, never thrown. */
export function createSettingsActions(set: Set, get: Get, getClient: ClientGetter): SettingsActions {
  return {
    async load() {
      set({ loading: true });
      try {
        const saved = await getClient().settings.get({});
        set((s) => ({ saved, edits: pruneEdits(saved, s.edits), loadError: null }));
      } catch (err) {
        set({ loadError: toShownError(err) });
      } finally {
        set({ loading: false });
      }
    },
    edit(field, value) {
      set((s) => {
        const fieldErrors = { ...s.fieldErrors };
        delete fieldErrors[field];
        return { edits: { ...s.edits, [field]: value }, fieldErrors, savedAt: null };
      });
    },
    revert() {
      set({ edits: {}, fieldErrors: {}, saveError: null });
    },
    async save() {
      const patch = selectPatch(get());
      if (patch.trace_retention_days !== undefined && !Number.isFinite(patch.trace_retention_days)) {
        set({ fieldErrors: { ...get().fieldErrors, trace_retention_days: 'Enter a number of days.' } });
        return false;
      }
      if (Object.keys(patch).length === 0 || get().saving) return false;
      set({ saving: true, saveError: null, fieldErrors: {} });
      try {
        const saved = await getClient().settings.update(patch);
        set((s) => ({
          saved,
          edits: pruneEdits(saved, stripKeys(s.edits, Object.keys(patch))),
          savedAt: Date.now(),
        }));
        return true;
      } catch (err) {
        const { fields, rest } = splitFieldErrors(toShownError(err));
        set({ fieldErrors: fields, saveError: rest });
        return false;
      } finally {
        set({ saving: false });
      }
    },
    applyRemote(settings) {
      set((s) => ({ saved: settings, edits: pruneEdits(settings, s.edits) }));
    },
    follow() {
      return getClient().on('settings.changed', (settings) => get().applyRemote(settings));
    },
  };
}

function stripKeys(edits: Partial<SettingsDraft>, keys: string[]): Partial<SettingsDraft> {
  const out: Record<string, unknown> = { ...edits };
  for (const k of keys) delete out[k];
  return out;
}
