// A coloured status badge that always carries its meaning in text (and a glyph), never in colour alone.
import type { ReactElement } from 'react';

export type BadgeTone = 'ok' | 'progress' | 'warn' | 'danger' | 'neutral';

const GLYPH: Record<BadgeTone, string> = { ok: '✓', progress: '', warn: '–', danger: '!', neutral: '•' };

/** Badge with `tone` colours and `label` text; `progress` shows a small spinner instead of a glyph. */
export function Badge({
  tone,
  label,
  testId,
}: {
  tone: BadgeTone;
  label: string;
  testId?: string;
}): ReactElement {
  return (
    <span className={`badge badge--${tone}`} data-testid={testId}>
      {tone === 'progress' ? (
        <span className="badge__spinner" aria-hidden="true" />
      ) : (
        <span aria-hidden="true">{GLYPH[tone]}</span>
      )}
      {label}
    </span>
  );
}
