// A value in monospace (a path, a URL) with a button that copies it to the clipboard.
import type { ReactElement } from 'react';
import { CopyIcon } from '../../components/Icons';
import { useCopy } from '../../components/use-copy';

/**
 * `text` in `<code>` followed by a copy button named "Copy <label>" (announced as "Copied" for 1.5 s
 * after a copy). The clipboard API needs a secure context: the app window and http://127.0.0.1 both are.
 */
export function CopyText({
  text,
  label,
  testId,
}: {
  text: string;
  label: string;
  testId?: string;
}): ReactElement {
  const { copied, copy } = useCopy(text);
  return (
    <span className="copy-text">
      <code data-testid={testId}>{text}</code>
      <button
        type="button"
        className="icon-button"
        onClick={copy}
        aria-label={copied ? `Copied ${label}` : `Copy ${label}`}
        title={copied ? 'Copied' : 'Copy'}
        data-testid={testId ? `${testId}-copy` : undefined}
      >
        {copied ? <span aria-hidden="true">✓</span> : <CopyIcon />}
      </button>
    </span>
  );
}
