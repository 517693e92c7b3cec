// Labelled form controls with a hint and an inline error, wired with aria-describedby / aria-invalid.
import type { ReactElement, ReactNode } from 'react';

interface FieldProps {
  /** Used for the element ids (`<id>`, `<id>-hint`, `<id>-error`) and test ids (`<id>`, `<id>-error`). */
  id: string;
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
}

function describedBy(p: FieldProps): string | undefined {
  const ids = [p.hint ? `${p.id}-hint` : null, p.error ? `${p.id}-error` : null].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

function Messages(p: FieldProps): ReactElement {
  return (
    <>
      {p.hint ? (
        <p id={`${p.id}-hint`} className="field__hint">
          {p.hint}
        </p>
      ) : null}
      {p.error ? (
        <p id={`${p.id}-error`} className="field__error" role="alert" data-testid={`${p.id}-error`}>
          {p.error}
        </p>
      ) : null}
    </>
  );
}

/** The wiring of a field's control: its id, what describes it, whether it is invalid, its test id. */
function controlProps(p: FieldProps) {
  return {
    id: p.id,
    'aria-describedby': describedBy(p),
    'aria-invalid': p.error ? true : undefined,
    'data-testid': p.id,
  };
}

/** A field with its label above `children` (the control) and its hint and error below. */
function LabelledField(p: FieldProps & { children: ReactNode }): ReactElement {
  return (
    <div className={`field${p.error ? ' field--invalid' : ''}`}>
      <label htmlFor={p.id} className="field__label">
        {p.label}
      </label>
      {p.children}
      <Messages {...p} />
    </div>
  );
}

/** A group of radio buttons shown as a segmented control (`<fieldset>` + `<legend>`). */
export function RadioField<V extends string>(
  p: FieldProps & { value: V; options: readonly { value: V; label: string }[]; onChange: (v: V) => void },
): ReactElement {
  return (
    <fieldset
      className={`field${p.error ? ' field--invalid' : ''}`}
      aria-describedby={describedBy(p)}
      data-testid={p.id}
    >
      <legend className="field__label">{p.label}</legend>
      <div className="segmented">
        {p.options.map((o) => (
          <label key={o.value} className="segmented__option">
            <input
              type="radio"
              name={p.id}
              value={o.value}
              checked={p.value === o.value}
              onChange={() => p.onChange(o.value)}
              data-testid={`${p.id}-${o.value}`}
            />
            <span>{o.label}</span>
          </label>
        ))}
      </div>
      <Messages {...p} />
    </fieldset>
  );
}

/** An on/off switch (a real checkbox with `role="switch"`). */
export function SwitchField(
  p: FieldProps & { checked: boolean; onChange: (v: boolean) => void },
): ReactElement {
  return (
    <div className={`field field--inline${p.error ? ' field--invalid' : ''}`}>
      <div className="field__text">
        <label htmlFor={p.id} className="field__label">
          {p.label}
        </label>
        <Messages {...p} />
      </div>
      <input
        {...controlProps(p)}
        type="checkbox"
        role="switch"
        className="switch"
        checked={p.checked}
        onChange={(e) => p.onChange(e.target.checked)}
      />
    </div>
  );
}

/** A drop-down list. */
export function SelectField<V extends string>(
  p: FieldProps & { value: V; options: readonly { value: V; label: string }[]; onChange: (v: V) => void },
): ReactElement {
  return (
    <LabelledField {...p}>
      <select
        {...controlProps(p)}
        className="input"
        value={p.value}
        onChange={(e) => p.onChange(e.target.value as V)}
      >
        {p.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </LabelledField>
  );
}

/** A one-line text or number input. */
export function InputField(
  p: FieldProps & {
    value: string;
    onChange: (v: string) => void;
    type?: 'text' | 'number';
    placeholder?: string;
    monospace?: boolean;
    min?: number;
    max?: number;
    suffix?: string;
    /** Shown but not editable (e.g. a setting this transport may not change). */
    readOnly?: boolean;
  },
): ReactElement {
  return (
    <LabelledField {...p}>
      <div className="input-row">
        <input
          {...controlProps(p)}
          className={`input${p.monospace ? ' input--mono' : ''}${p.type === 'number' ? ' input--short' : ''}`}
          type={p.type ?? 'text'}
          value={p.value}
          placeholder={p.placeholder}
          min={p.min}
          max={p.max}
          readOnly={p.readOnly}
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => p.onChange(e.target.value)}
        />
        {p.suffix ? <span className="input-row__suffix">{p.suffix}</span> : null}
      </div>
    </LabelledField>
  );
}

/**
 * The options of a `RadioField` or `SelectField` from a record of value → label, in the record's
 * order (values are words, never integer-like keys, which objects would reorder).
 */
export function optionsOf<V extends string>(labels: Record<V, string>): { value: V; label: string }[] {
  return (Object.keys(labels) as V[]).map((value) => ({ value, label: labels[value] }));
}

/** The container runtimes an agent can run on, as options (Settings' default, the create form's choice). */
export const RUNTIME_OPTIONS = optionsOf({ docker: 'Docker', incus: 'Incus' });
