// The quick-pick grid: 12 emoji as a radio group; arrow keys move the choice, Home/End jump, Tab leaves.
import { useRef } from 'react';
import type { KeyboardEvent, ReactElement } from 'react';
import type { NamedEmoji } from './quick-emoji';

const STEP: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

/**
 * A `radiogroup` of `picks` following the WAI-ARIA radio group pattern: one tab stop (the checked
 * emoji, else the first), arrow keys move and select (wrapping), Home/End go to the ends, Space selects.
 * Each radio is named by its emoji's short name; `data-emoji` holds the emoji for tests.
 */
export function EmojiQuickPick({
  picks,
  value,
  onChange,
  labelledBy,
}: {
  picks: readonly NamedEmoji[];
  value: string;
  onChange: (emoji: string) => void;
  labelledBy: string;
}): ReactElement {
  const group = useRef<HTMLDivElement>(null);
  const checked = picks.findIndex((p) => p.emoji === value);
  const tabStop = checked >= 0 ? checked : 0;

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const buttons = [...(group.current?.querySelectorAll<HTMLButtonElement>('[role="radio"]') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    let to: number | undefined;
    if (e.key in STEP) to = (at + STEP[e.key]! + buttons.length) % buttons.length;
    else if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = buttons.length - 1;
    if (to === undefined) return;
    e.preventDefault();
    buttons[to]?.focus();
    onChange(picks[to]!.emoji);
  };

  return (
    <div
      ref={group}
      role="radiogroup"
      aria-labelledby={labelledBy}
      className="emoji-grid"
      onKeyDown={onKeyDown}
      data-testid="emoji-quick-pick"
    >
      {picks.map((p, i) => (
        <button
          key={p.emoji}
          type="button"
          role="radio"
          aria-checked={i === checked}
          aria-label={p.name}
          tabIndex={i === tabStop ? 0 : -1}
          className="emoji-grid__item"
          onClick={() => onChange(p.emoji)}
          data-emoji={p.emoji}
          data-testid={`emoji-quick-${i}`}
        >
          <span aria-hidden="true">{p.emoji}</span>
        </button>
      ))}
    </div>
  );
}
