// The add / edit form: name, base URL and a masked, paste-friendly key field (only when the type takes a key).
import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent, ReactElement, ReactNode } from 'react';
import type { CatalogEntry, Provider } from '../../../../contract/providers';
import { InputField } from '../../components/Field';
import { providersStore } from '../../stores/providers';
import type { ShownError } from '../../stores/errors';
import { ErrorLine } from './ErrorLine';

/** The origin (scheme, host, port) of a URL as typed; `null` while it does not parse. */
function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** A checkbox with its text after it, the whole line its label. */
function Check({
  checked,
  onChange,
  testId,
  children,
}: {
  checked: boolean;
  onChange: (v: boolean) => void;
  testId: string;
  children: ReactNode;
}): ReactElement {
  return (
    <label className="provider-form__check">
      <input
        type="checkbox"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
        data-testid={testId}
      />{' '}
      {children}
    </label>
  );
}

/** Fields of the form that show the core's error under themselves (`details.field`). */
const FORM_FIELDS = ['name', 'base_url', 'key', 'key_from_env'];

/**
 * Adds a provider of `entry`'s type, or edits `editing`. The key lives only in this form's local state
 * until submit; it is sent in the add/edit call and the field is cleared right after, whatever the result.
 */
export function AddProviderForm({
  entry,
  editing,
  onDone,
  onCancel,
}: {
  entry: CatalogEntry;
  editing?: Provider;
  onDone: (provider: Provider) => void;
  onCancel: () => void;
}): ReactElement {
  const [name, setName] = useState(editing?.name ?? entry.label);
  const [baseUrl, setBaseUrl] = useState(editing?.base_url ?? entry.base_url);
  const [key, setKey] = useState('');
  const [dropKey, setDropKey] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const keyId = useId();
  const titleId = useId();
  const needsUrl = entry.type === 'openai-compatible';
  // Local servers run keyless by default: their optional key is asked only when the user says it is set.
  const localOptional = entry.kind === 'local' && entry.key === 'optional';
  const [wantsKey, setWantsKey] = useState(Boolean(editing && editing.key.state !== 'not_needed'));
  const takesKey = entry.key !== 'none' && (!localOptional || wantsKey);

  useEffect(() => {
    form.current?.querySelector<HTMLInputElement>('[data-testid="provider-name"]')?.focus();
  }, [entry.type, editing?.id]);

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    if (busy) return;
    const typed = takesKey ? key.trim() : '';
    // The key leaves component state as soon as it is handed to the call.
    setKey('');
    setBusy(true);
    setError(null);
    const url = baseUrl.trim();
    const store = providersStore.getState();
    const result = editing
      ? await store.edit({
          id: editing.id,
          ...(name.trim() !== editing.name ? { name: name.trim() } : {}),
          ...(url !== editing.base_url ? { base_url: url } : {}),
          ...(typed ? { key: typed } : dropKey ? { key: null } : {}),
        })
      : await store.add({
          type: entry.type,
          ...(name.trim() ? { name: name.trim() } : {}),
          ...(url ? { base_url: url } : {}),
          ...(typed ? { key: typed } : {}),
        });
    setBusy(false);
    if (result.ok) onDone(result.provider);
    else setError(result.error);
  }

  // A key belongs to its host: moving the base URL to another origin without a new key removes it (the core does).
  const movesKey =
    editing !== undefined &&
    (editing.key.state === 'set' || editing.key.state === 'env') &&
    !key.trim() &&
    originOf(baseUrl.trim()) !== originOf(editing.base_url);

  const errorField = typeof error?.details?.field === 'string' ? error.details.field : null;
  const fieldError = (field: string): string | undefined =>
    error && errorField === field ? `${error.message} (${error.code})` : undefined;
  const generalError = error && !FORM_FIELDS.includes(errorField ?? '') ? error : null;

  const keyError = fieldError('key') ?? fieldError('key_from_env');

  return (
    <form
      ref={form}
      className="card provider-form"
      aria-labelledby={titleId}
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
      data-testid="add-provider-form"
      noValidate
    >
      <h2 id={titleId} className="card__title">
        {editing ? `Edit ${editing.name}` : `Add ${entry.label}`}
      </h2>
      <InputField
        id="provider-name"
        label="Name"
        value={name}
        onChange={setName}
        error={fieldError('name')}
      />
      <InputField
        id="provider-base-url"
        label={needsUrl ? 'Base URL (required)' : 'Base URL'}
        value={baseUrl}
        onChange={setBaseUrl}
        monospace
        error={fieldError('base_url')}
        placeholder={needsUrl ? 'https://host:port/v1' : entry.base_url}
        hint={needsUrl ? 'The OpenAI-compatible endpoint, ending in /v1 for most servers.' : undefined}
      />
      {movesKey ? (
        <p className="field__hint provider-form__warning" role="status" data-testid="provider-key-moves">
          This address is on another host: saving removes the stored key, which is only ever sent to the host
          it was given for. Type the key again below if the new host should have it.
        </p>
      ) : null}
      {takesKey ? (
        <div className={`field${keyError ? ' field--invalid' : ''}`}>
          <label htmlFor={keyId} className="field__label">
            API key{entry.key === 'optional' ? ' (optional)' : ''}
          </label>
          <input
            id={keyId}
            className="input input--mono"
            type="password"
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-describedby={`${keyId}-hint${keyError ? ` ${keyId}-error` : ''}`}
            aria-invalid={keyError ? true : undefined}
            data-testid="provider-key"
          />
          <p id={`${keyId}-hint`} className="field__hint">
            {editing
              ? 'Leave empty to keep the stored key. A new key replaces it in the OS keychain.'
              : `Paste the key; it is stored in the OS keychain, never shown again.${
                  entry.env_vars[0] ? ` Usually in ${entry.env_vars[0]}.` : ''
                }`}
          </p>
          {keyError ? (
            <p id={`${keyId}-error`} className="field__error" role="alert" data-testid="provider-key-error">
              {keyError}
            </p>
          ) : null}
          {editing && editing.key.state === 'set' ? (
            <Check checked={dropKey} onChange={setDropKey} testId="provider-drop-key">
              Delete the stored key (when no new key is typed)
            </Check>
          ) : null}
        </div>
      ) : (
        <p className="muted small" data-testid="provider-no-key">
          This server needs no key.
        </p>
      )}
      {localOptional ? (
        <Check checked={wantsKey} onChange={setWantsKey} testId="provider-wants-key">
          This server was started with an API key
        </Check>
      ) : null}
      {generalError ? <ErrorLine error={generalError} testId="add-provider-error" /> : null}
      <div className="provider-form__actions">
        <button
          type="submit"
          className="button button--primary"
          disabled={busy}
          aria-busy={busy}
          data-testid="provider-save"
        >
          {busy ? 'Saving and checking…' : editing ? 'Save changes' : 'Add provider'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
