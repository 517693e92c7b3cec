// LiteLLM's last stderr lines in a collapsible, scrollable monospace block (opened by itself when LiteLLM fails).
import { useEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import type { LitellmState } from '../../../../contract/llm';

/**
 * The last lines LiteLLM wrote to stderr (secrets already redacted by the core), oldest first, in a
 * `<details>` block. It opens by itself when `state` becomes `failed` (the lines then say why); the
 * user can close it again. While open it stays scrolled to the newest line.
 */
export function StderrTail({
  lines,
  state,
}: {
  lines: readonly string[];
  state: LitellmState;
}): ReactElement {
  const [open, setOpen] = useState(state === 'failed');
  const previous = useRef(state);
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    if (state === 'failed' && previous.current !== 'failed') setOpen(true);
    previous.current = state;
  }, [state]);

  useEffect(() => {
    const el = pre.current;
    if (open && el) el.scrollTop = el.scrollHeight;
  }, [open, lines]);

  return (
    <details
      className="llm-stderr"
      open={open}
      onToggle={(e) => setOpen(e.currentTarget.open)}
      data-testid="litellm-stderr"
      data-lines={lines.length}
    >
      <summary className="llm-stderr__summary">
        LiteLLM output <span className="muted small">(last {lines.length} stderr lines)</span>
      </summary>
      {lines.length > 0 ? (
        <pre
          ref={pre}
          className="llm-stderr__lines"
          tabIndex={0}
          aria-label="Last lines LiteLLM wrote to stderr"
          data-testid="litellm-stderr-lines"
        >
          {lines.join('\n')}
        </pre>
      ) : (
        <p className="muted small">LiteLLM has written nothing to stderr yet.</p>
      )}
    </details>
  );
}
