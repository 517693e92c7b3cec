// A small Copy button that says "Copied" for a moment after writing its text to the clipboard.
import type { ReactElement } from 'react';
import { useCopy } from '../../components/use-copy';

/** Copies `text` on click; `label` names what is copied for screen readers ("Copy the message"). */
export function CopyButton({ text, label }: { text: string; label: string }): ReactElement {
  const { copied, copy } = useCopy(text);
  return (
    <button
      type="button"
      className={`chat-copy${copied ? ' chat-copy--done' : ''}`}
      aria-label={copied ? 'Copied' : label}
      onClick={copy}
      data-testid="chat-copy"
      data-copied={copied ? 'true' : undefined}
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}
