// The bar under the settings form: save / revert buttons and what happened to the last save.
import type { ReactElement } from 'react';
import { settingsStore, useSettings } from '../../stores/settings';

/** Save and revert buttons with the save status (and a form-level error from the core, if any). */
export function SaveBar({ dirty }: { dirty: boolean }): ReactElement {
  const saving = useSettings((s) => s.saving);
  const savedAt = useSettings((s) => s.savedAt);
  const saveError = useSettings((s) => s.saveError);
  const hasFieldErrors = useSettings((s) => Object.keys(s.fieldErrors).length > 0);

  let status: string;
  if (saving) status = 'Saving…';
  else if (hasFieldErrors) status = 'Not saved: fix the fields marked above.';
  else if (dirty) status = 'Unsaved changes';
  else if (savedAt !== null) status = 'Saved';
  else status = '';

  return (
    <div className="save-bar">
      {saveError && !saveError.unreachable ? (
        <p className="inline-error" role="alert" data-testid="settings-form-error">
          Not saved ({saveError.code}): {saveError.message}
        </p>
      ) : null}
      <div className="save-bar__row">
        <span className="save-bar__status" role="status" data-testid="settings-status">
          {status}
        </span>
        <button
          type="button"
          className="button"
          disabled={!dirty || saving}
          onClick={() => settingsStore.getState().revert()}
          data-testid="settings-revert"
        >
          Revert
        </button>
        <button
          type="submit"
          className="button button--primary"
          disabled={!dirty || saving}
          data-testid="settings-save"
        >
          {saving ? 'Saving…' : 'Save changes'}
        </button>
      </div>
    </div>
  );
}
