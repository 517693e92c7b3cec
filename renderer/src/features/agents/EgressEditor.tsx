// The egress policy editor of the create dialog and the agent's Network pane: mode, and the allowlist with live checks.
import { useState } from 'react';
import type { ReactElement } from 'react';
import type { EgressMode } from '../../../../contract/egress';
import { ALLOW_ENTRIES_MAX, formatAllowTarget, parseAllowEntry } from '../../../../contract/egress';
import { RadioField } from '../../components/Field';

/** What each mode means, under the choice. */
export const MODE_HINTS: Record<EgressMode, string> = {
  none: 'Only its model gateway. Every other connection and DNS lookup is refused and shown in its trace.',
  allowlist:
    'Its gateway plus the hosts, domains and addresses below (with a port, or every port). The rest is refused and traced.',
  open: 'Any address outside this machine. Still never this machine’s own services, other agents or cloud metadata.',
};

const MODE_LABELS: Record<EgressMode, string> = { none: 'None', allowlist: 'Allowlist', open: 'Open' };

/**
 * Mode as a segmented control (`<id>-none|allowlist|open`) and, for `allowlist`, the entries
 * (`egress-entry`, each with a remove button `egress-remove`) and an input that checks an entry as it is
 * typed (`egress-add-input`, `egress-add`) with the same rules as the core (contract/egress.ts).
 */
export function EgressEditor({
  id,
  mode,
  allow,
  onMode,
  onAllow,
  disabled = false,
  modeError,
  allowError,
}: {
  id: string;
  mode: EgressMode;
  allow: readonly string[];
  onMode: (m: EgressMode) => void;
  onAllow: (entries: string[]) => void;
  disabled?: boolean;
  modeError?: string | undefined;
  allowError?: string | undefined;
}): ReactElement {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const parsed = text.trim() ? parseAllowEntry(text) : null;
  const live = parsed && 'error' in parsed ? parsed.error : null;

  const add = (): void => {
    if (!parsed) return;
    if ('error' in parsed) {
      setProblem(parsed.error);
      return;
    }
    const entry = formatAllowTarget(parsed);
    if (allow.includes(entry)) setProblem(`${entry} is already in the list`);
    else if (allow.length >= ALLOW_ENTRIES_MAX) setProblem(`At most ${ALLOW_ENTRIES_MAX} entries`);
    else {
      onAllow([...allow, entry]);
      setText('');
      setProblem(null);
    }
  };

  return (
    <div className="egress-editor" data-testid={`${id}-editor`}>
      <RadioField
        id={`${id}-mode`}
        label="Network access"
        value={mode}
        options={(['none', 'allowlist', 'open'] as const).map((m) => ({ value: m, label: MODE_LABELS[m] }))}
        onChange={(m) => onMode(m)}
        hint={MODE_HINTS[mode]}
        error={modeError}
      />
      {mode === 'allowlist' || allow.length > 0 ? (
        <div className={`field${allowError ? ' field--invalid' : ''}`}>
          <p className="field__label" id={`${id}-allow-label`}>
            Allowlist{mode !== 'allowlist' ? ' (kept, used in Allowlist mode)' : ''}
          </p>
          {allow.length === 0 ? (
            <p className="muted small" data-testid="egress-empty">
              No entries yet: add a host such as <code>api.example.com:443</code>.
            </p>
          ) : (
            <ul className="egress-editor__list" aria-labelledby={`${id}-allow-label`}>
              {allow.map((entry) => (
                <li
                  key={entry}
                  className="egress-editor__entry"
                  data-testid="egress-entry"
                  data-entry={entry}
                >
                  <code>{entry}</code>
                  <button
                    type="button"
                    className="link-button"
                    disabled={disabled}
                    aria-label={`Remove ${entry}`}
                    onClick={() => onAllow(allow.filter((a) => a !== entry))}
                    data-testid="egress-remove"
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div className="input-row">
            <input
              id={`${id}-add`}
              className="input input--mono"
              value={text}
              placeholder="api.example.com:443, *.example.com, 203.0.113.0/24"
              spellCheck={false}
              autoComplete="off"
              disabled={disabled}
              aria-label="Host to allow (HOST or HOST:PORT)"
              aria-invalid={live || problem ? true : undefined}
              aria-describedby={`${id}-add-hint`}
              onChange={(e) => {
                setText(e.target.value);
                setProblem(null);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  add();
                }
              }}
              data-testid="egress-add-input"
            />
            <button
              type="button"
              className="button button--small"
              disabled={disabled || !parsed || 'error' in parsed}
              onClick={add}
              data-testid="egress-add"
            >
              Add
            </button>
          </div>
          <p id={`${id}-add-hint`} className="field__hint">
            A name, <code>*.domain</code> (its subdomains), an IPv4 address or CIDR; <code>:PORT</code> for
            one port, none for every port (TCP and UDP).
          </p>
          {live || problem || allowError ? (
            <p className="field__error" role="alert" data-testid={`${id}-allow-error`}>
              {problem ?? live ?? allowError}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
