// A copy-to-clipboard action with a short "Copied" state, for copy buttons.
import { useEffect, useState } from 'react';

/**
 * `copy()` writes `text` to the clipboard; `copied` is true for `ms` (default 1500) afterwards. The
 * clipboard API needs a secure context: the app window and http://127.0.0.1 both are. A refused write
 * leaves `copied` false.
 */
export function useCopy(text: string, ms = 1500): { copied: boolean; copy: () => void } {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), ms);
    return () => clearTimeout(t);
  }, [copied, ms]);
  const copy = (): void => {
    void navigator.clipboard?.writeText(text).then(
      () => setCopied(true),
      () => undefined,
    );
  };
  return { copied, copy };
}
