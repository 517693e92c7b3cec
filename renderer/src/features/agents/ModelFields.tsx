// The create dialog's model select (served models grouped by provider) and optional fallbacks (up to 5, in order).
import { useId } from 'react';
import type { ReactElement } from 'react';
import { modelIdOf } from '../../stores/agents';
import type { ModelGroup } from '../../stores/agents';

/** Most fallbacks an agent takes (contract/agents.ts AgentCreateInput). */
export const MAX_FALLBACKS = 5;

/**
 * Model: a `<select>` with one `<optgroup>` per provider. Fallbacks: a checkbox per other served
 * model; they are tried in the order they were ticked (the number beside each), at most
 * {@link MAX_FALLBACKS} (the rest disable once five are ticked). `modelError` / `fallbacksError` are the
 * core's messages.
 */
export function ModelFields({
  groups,
  model,
  fallbacks,
  onModel,
  onFallbacks,
  disabled,
  modelError,
  fallbacksError,
}: {
  groups: readonly ModelGroup[];
  model: string;
  fallbacks: readonly string[];
  onModel: (model: string) => void;
  onFallbacks: (fallbacks: string[]) => void;
  disabled: boolean;
  modelError?: string | undefined;
  fallbacksError?: string | undefined;
}): ReactElement {
  const id = useId();
  const others = groups
    .map((g) => ({ ...g, models: g.models.filter((m) => m !== model) }))
    .filter((g) => g.models.length > 0);
  const full = fallbacks.length >= MAX_FALLBACKS;
  const toggle = (m: string, on: boolean): void =>
    onFallbacks(on ? [...fallbacks, m] : fallbacks.filter((f) => f !== m));

  return (
    <>
      <div className={`field${modelError ? ' field--invalid' : ''}`}>
        <label htmlFor={`${id}-model`} className="field__label">
          Model
        </label>
        <select
          id={`${id}-model`}
          className="input"
          value={model}
          disabled={disabled}
          onChange={(e) => {
            onModel(e.target.value);
            onFallbacks(fallbacks.filter((f) => f !== e.target.value));
          }}
          aria-describedby={`${id}-model-hint${modelError ? ` ${id}-model-error` : ''}`}
          aria-invalid={modelError ? true : undefined}
          data-testid="agent-model"
        >
          {model === '' ? <option value="">Pick a model…</option> : null}
          {groups.map((g) => (
            <optgroup key={g.provider} label={g.label}>
              {g.models.map((m) => (
                <option key={m} value={m}>
                  {modelIdOf(m)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
        <p id={`${id}-model-hint`} className="field__hint">
          The models LiteLLM serves now, by provider. The agent reaches only these, through the gateway.
        </p>
        {modelError ? (
          <p id={`${id}-model-error`} className="field__error" role="alert" data-testid="agent-model-error">
            {modelError}
          </p>
        ) : null}
      </div>
      {others.length > 0 ? (
        <details className="fallbacks" open={fallbacks.length > 0 || fallbacksError !== undefined}>
          <summary data-testid="agent-fallbacks-toggle">
            Fallback models (optional){fallbacks.length > 0 ? ` · ${fallbacks.length} chosen` : ''}
          </summary>
          <fieldset
            className={`field fallbacks__list${fallbacksError ? ' field--invalid' : ''}`}
            aria-describedby={`${id}-fb-hint${fallbacksError ? ` ${id}-fb-error` : ''}`}
            data-testid="agent-fallbacks"
          >
            <legend className="visually-hidden">Fallback models</legend>
            <p id={`${id}-fb-hint`} className="field__hint">
              Tried in the order you tick them when the model fails; up to {MAX_FALLBACKS}.
            </p>
            {others.map((g) => (
              <div key={g.provider} className="fallbacks__group" role="group" aria-label={g.label}>
                <span className="fallbacks__provider" aria-hidden="true">
                  {g.label}
                </span>
                {g.models.map((m) => {
                  const at = fallbacks.indexOf(m);
                  return (
                    <label key={m} className="fallbacks__item">
                      <input
                        type="checkbox"
                        checked={at >= 0}
                        disabled={disabled || (at < 0 && full)}
                        onChange={(e) => toggle(m, e.target.checked)}
                        data-testid="agent-fallback"
                        data-model={m}
                      />
                      <code>{modelIdOf(m)}</code>
                      {at >= 0 ? (
                        <span className="fallbacks__order" aria-label={`tried ${at + 1}.`}>
                          {at + 1}
                        </span>
                      ) : null}
                    </label>
                  );
                })}
              </div>
            ))}
            {fallbacksError ? (
              <p
                id={`${id}-fb-error`}
                className="field__error"
                role="alert"
                data-testid="agent-fallbacks-error"
              >
                {fallbacksError}
              </p>
            ) : null}
          </fieldset>
        </details>
      ) : null}
    </>
  );
}
