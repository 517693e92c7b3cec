// The create dialog's emoji field: preview, 12-item quick pick, "More…" full picker (lazy), and a typed emoji.
import { lazy, Suspense, useId, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import { emojiProblem } from '../../stores/agents';
import { EmojiQuickPick } from './EmojiQuickPick';
import type { NamedEmoji } from './quick-emoji';

/** The full picker, in its own chunk: the emoji data (~1 MB) is only loaded when "More…" is first used. */
const EmojiPickerPanel = lazy(() => import('./EmojiPickerPanel'));

/**
 * Emoji of the new agent. `value` is the chosen emoji; `picks` the quick-pick grid (harness default
 * first). Typing in "Or type one" sets the emoji as soon as the text is exactly one emoji, and says
 * what is wrong otherwise (`onTypedValid(false)` then blocks submit). "More…" opens the searchable
 * picker below the grid; picking closes it and returns focus to "More…"; Escape closes it.
 * `error` is the core's message for the `emoji` field.
 */
export function EmojiField({
  value,
  picks,
  defaultNote,
  onChange,
  onTypedValid,
  error,
}: {
  value: string;
  picks: readonly NamedEmoji[];
  /** e.g. "Default of Agent Desk runtime" when `value` is the harness's emoji, else `null`. */
  defaultNote: string | null;
  onChange: (emoji: string) => void;
  onTypedValid: (valid: boolean) => void;
  error?: string | undefined;
}): ReactElement {
  const id = useId();
  const [typed, setTyped] = useState('');
  const [open, setOpen] = useState(false);
  const [pickedName, setPickedName] = useState<string | null>(null);
  const more = useRef<HTMLButtonElement>(null);
  const typedProblem = typed.trim() === '' ? null : emojiProblem(typed);
  const shownError = typedProblem ?? error;
  const quickName = picks.find((p) => p.emoji === value)?.name;
  const name = quickName ?? pickedName;

  const choose = (emoji: string, fromName: string | null): void => {
    setTyped('');
    onTypedValid(true);
    setPickedName(fromName);
    onChange(emoji);
  };

  const closePicker = (): void => {
    setOpen(false);
    requestAnimationFrame(() => more.current?.focus());
  };

  return (
    <fieldset className={`field emoji-field${shownError ? ' field--invalid' : ''}`} data-testid="agent-emoji">
      <legend className="field__label" id={`${id}-legend`}>
        Emoji
      </legend>
      <div className="emoji-field__current">
        <span className="emoji-field__preview" aria-hidden="true" data-testid="agent-emoji-value">
          {value}
        </span>
        <span className="muted small" aria-live="polite" data-testid="agent-emoji-note">
          <span className="visually-hidden">Chosen emoji: {value} </span>
          {captionOf(name, defaultNote)}
        </span>
      </div>
      <p className="visually-hidden" id={`${id}-quick`}>
        Quick pick
      </p>
      <div className="emoji-field__row">
        <EmojiQuickPick
          picks={picks}
          value={value}
          onChange={(emoji) => choose(emoji, null)}
          labelledBy={`${id}-legend ${id}-quick`}
        />
        <button
          ref={more}
          type="button"
          className="button button--small"
          aria-expanded={open}
          aria-controls={`${id}-picker`}
          onClick={() => (open ? closePicker() : setOpen(true))}
          data-testid="emoji-more"
        >
          More…
        </button>
      </div>
      {open ? (
        <div
          id={`${id}-picker`}
          className="emoji-popover"
          role="group"
          aria-label="All emoji, searchable"
          // Capture phase: Escape closes the picker before the picker (or the dialog) sees it.
          onKeyDownCapture={(e) => {
            if (e.key !== 'Escape') return;
            e.preventDefault();
            e.stopPropagation();
            closePicker();
          }}
        >
          <Suspense fallback={<p className="muted small">Loading emoji…</p>}>
            <EmojiPickerPanel
              onPick={(emoji, pickName) => {
                choose(emoji, pickName);
                closePicker();
              }}
            />
          </Suspense>
        </div>
      ) : null}
      <div className="emoji-field__typed">
        <label htmlFor={`${id}-typed`} className="field__label field__label--sub">
          Or type one
        </label>
        <input
          id={`${id}-typed`}
          className="input input--emoji"
          value={typed}
          placeholder="🦊"
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => {
            const text = e.target.value;
            setTyped(text);
            const clean = text.trim();
            if (clean === '') {
              onTypedValid(true);
              return;
            }
            const ok = emojiProblem(clean) === null;
            onTypedValid(ok);
            if (ok) {
              setPickedName(null);
              onChange(clean);
            }
          }}
          aria-invalid={typedProblem ? true : undefined}
          aria-describedby={shownError ? `${id}-error` : undefined}
          data-testid="agent-emoji-typed"
        />
      </div>
      {shownError ? (
        <p id={`${id}-error`} className="field__error" role="alert" data-testid="agent-emoji-error">
          {shownError}
        </p>
      ) : null}
    </fieldset>
  );
}

/** "robot · default of X", said once: the harness's quick pick already names itself its default. */
function captionOf(name: string | null | undefined, defaultNote: string | null): string {
  if (!name) return defaultNote ?? '';
  if (!defaultNote || name.includes(defaultNote)) return name;
  return `${name} · ${defaultNote}`;
}
