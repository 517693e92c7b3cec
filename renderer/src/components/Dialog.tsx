// A modal dialog on the native <dialog> element: the page behind is inert, focus moves in and back, Escape closes.
import { useEffect, useId, useRef } from 'react';
import type { ReactElement, ReactNode } from 'react';

/**
 * A modal dialog, open while mounted: `showModal()` on mount (the rest of the page becomes inert and
 * focus moves to the first `[data-autofocus]` element, else the first focusable one), focus goes back
 * to what had it on unmount. Escape (the dialog's `cancel` event) calls `onClose` unless
 * `dismissible` is false; clicks on the backdrop do nothing, so typed input is not lost by a stray click.
 * Title is the dialog's accessible name (`aria-labelledby`), `description` its description.
 */
export function Dialog({
  title,
  description,
  onClose,
  children,
  footer,
  testId,
  wide = false,
  dismissible = true,
}: {
  title: ReactNode;
  description?: ReactNode;
  onClose: () => void;
  children: ReactNode;
  /** Buttons, right-aligned under the body. */
  footer?: ReactNode;
  testId?: string;
  /** Wider body (the create form). */
  wide?: boolean;
  /** False while something must not be interrupted: Escape and the × button then do nothing. */
  dismissible?: boolean;
}): ReactElement {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!el.open) el.showModal();
    const first =
      el.querySelector<HTMLElement>('[data-autofocus]') ??
      el.querySelector<HTMLElement>('input, select, textarea, button:not(.dialog__close)');
    first?.focus();
    return () => {
      if (el.open) el.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' dialog--wide' : ''}`}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        if (dismissible) onClose();
      }}
    >
      <header className="dialog__head">
        <h2 id={titleId} className="dialog__title">
          {title}
        </h2>
        <button
          type="button"
          className="icon-button dialog__close"
          aria-label="Close"
          onClick={() => dismissible && onClose()}
          disabled={!dismissible}
          data-testid={testId ? `${testId}-close` : undefined}
        >
          <span aria-hidden="true">×</span>
        </button>
      </header>
      {description ? (
        <p id={descriptionId} className="dialog__description">
          {description}
        </p>
      ) : null}
      <div className="dialog__body">{children}</div>
      {footer ? <footer className="dialog__footer">{footer}</footer> : null}
    </dialog>
  );
}

/**
 * A dialog's footer buttons: Cancel, then the primary action. The action is a plain button calling
 * `onAction`, or, with `form`, the submit button of that form (by id). While `busy` it reads
 * `busyLabel`. `ariaBusy`, when given, is set as the action's `aria-busy`.
 */
export function DialogActions({
  onCancel,
  cancelDisabled,
  onAction,
  form,
  label,
  busy,
  busyLabel = 'Saving…',
  disabled,
  ariaBusy,
  testId,
}: {
  onCancel: () => void;
  cancelDisabled?: boolean;
  onAction?: () => void;
  form?: string;
  label: string;
  busy: boolean;
  busyLabel?: string;
  disabled: boolean;
  ariaBusy?: boolean;
  testId: string;
}): ReactElement {
  return (
    <>
      <button type="button" className="button" onClick={onCancel} disabled={cancelDisabled}>
        Cancel
      </button>
      <button
        type={form ? 'submit' : 'button'}
        form={form}
        className="button button--primary"
        onClick={onAction}
        disabled={disabled}
        aria-busy={ariaBusy}
        data-testid={testId}
      >
        {busy ? busyLabel : label}
      </button>
    </>
  );
}
