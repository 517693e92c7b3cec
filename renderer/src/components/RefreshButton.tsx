// A button that reloads something, its arrow spinning while it works.
import type { ReactElement } from 'react';
import { RefreshIcon } from './Icons';

/**
 * A plain button with the refresh arrow, disabled and `aria-busy` (the arrow spinning, the label
 * `busyLabel`) while `busy`. `ariaLabel` names it when the visible label alone is not enough.
 */
export function RefreshButton({
  onClick,
  busy,
  label,
  busyLabel = label,
  ariaLabel,
  testId,
}: {
  onClick: () => void;
  busy: boolean;
  label: string;
  busyLabel?: string;
  ariaLabel?: string;
  testId: string;
}): ReactElement {
  return (
    <button
      type="button"
      className="button"
      onClick={onClick}
      disabled={busy}
      aria-busy={busy}
      aria-label={ariaLabel}
      data-testid={testId}
    >
      <span className={busy ? 'spin' : undefined}>
        <RefreshIcon />
      </span>
      {busy ? busyLabel : label}
    </button>
  );
}
