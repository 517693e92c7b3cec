// Maps an error from `settings.update` onto the form fields it names.
import type { ShownError } from '../errors';
import { SETTINGS_FIELDS } from './initial-state';
import type { SettingsField } from './initial-state';

/**
 * Splits a core error into per-field messages and a remainder.
 * INVALID_INPUT carries `details.issues: [{path, message}]` (main/transport/dispatch.ts); each issue whose
 * path starts with a settings field goes under that field. Other errors that name exactly one field in
 * their message (or `details.path` / `details.field`) go under it too; the rest stays a form-level error.
 */
export function splitFieldErrors(error: ShownError): {
  fields: Partial<Record<SettingsField, string>>;
  rest: ShownError | null;
} {
  const fields: Partial<Record<SettingsField, string>> = {};
  const isField = (v: unknown): v is SettingsField =>
    typeof v === 'string' && (SETTINGS_FIELDS as string[]).includes(v);
  const issues = error.details?.issues;
  if (Array.isArray(issues)) {
    let placed = 0;
    for (const issue of issues as { path?: unknown; message?: unknown }[]) {
      const head = typeof issue.path === 'string' ? issue.path.split(/[.[]/)[0] : undefined;
      if (isField(head) && typeof issue.message === 'string') {
        // Shown under the field, so as a sentence; one refusal may come as several issues with one message.
        const said = issue.message.charAt(0).toUpperCase() + issue.message.slice(1);
        const before = fields[head];
        fields[head] = before === undefined ? said : before.includes(said) ? before : `${before}; ${said}`;
        placed += 1;
      }
    }
    if (placed > 0 && placed === issues.length) return { fields, rest: null };
    if (Object.keys(fields).length > 0) return { fields, rest: error };
  }
  const named = error.details?.path ?? error.details?.field;
  if (isField(named)) return { fields: { [named]: error.message }, rest: null };
  const mentioned = SETTINGS_FIELDS.filter((f) => error.message.includes(f));
  if (mentioned.length === 1) return { fields: { [mentioned[0]!]: error.message }, rest: null };
  return { fields, rest: error };
}
