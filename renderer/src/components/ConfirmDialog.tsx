// A confirmation dialog for an action that changes or destroys something, optionally asking to type a name first.
import { useId, useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
import { Dialog } from './Dialog';

/**
 * Asks before `onConfirm`. With `typeToConfirm`, the confirm button stays disabled until exactly that
 * text is typed (surrounding spaces ignored), for actions that cannot be undone. Focus starts on
 * Cancel (or on the text field), so Enter alone never confirms. `busy` shows the action running.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger = false,
  typeToConfirm,
  busy = false,
  onConfirm,
  onClose,
  testId,
}: {
  title: ReactNode;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  typeToConfirm?: string;
  busy?: boolean;
  onConfirm: () => void;
  onClose: () => void;
  testId: string;
}): ReactElement {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const ready = typeToConfirm === undefined || typed.trim() === typeToConfirm;
  return (
    <Dialog
      title={title}
      onClose={onClose}
      testId={testId}
      dismissible={!busy}
      footer={
        <>
          <button
            type="button"
            className="button"
            onClick={onClose}
            disabled={busy}
            data-autofocus={typeToConfirm === undefined ? '' : undefined}
            data-testid={`${testId}-cancel`}
          >
            Cancel
          </button>
          <button
            type="button"
            className={`button ${danger ? 'button--danger-solid' : 'button--primary'}`}
            onClick={onConfirm}
            disabled={!ready || busy}
            aria-busy={busy}
            data-testid={`${testId}-confirm`}
          >
            {confirmLabel}
          </button>
        </>
      }
    >
      <div className="confirm-dialog__body">{children}</div>
      {typeToConfirm !== undefined ? (
        <div className="field">
          <label htmlFor={inputId} className="field__label">
            Type <strong className="confirm-dialog__name">{typeToConfirm}</strong> to confirm
          </label>
          <input
            id={inputId}
            className="input"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && ready && !busy) onConfirm();
            }}
            autoComplete="off"
            spellCheck={false}
            data-autofocus=""
            data-testid={`${testId}-input`}
          />
        </div>
      ) : null}
    </Dialog>
  );
}
