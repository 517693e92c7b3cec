// Agent names in the renderer: the slug a name gives, whether a live agent holds it, and the one-emoji check.
// The rules themselves live in contract/agent-naming.ts, shared with the core.
import type { Agent } from '../../../../contract/agents';

import { isSingleEmoji } from '../../../../contract/agent-naming';

export { containerNameOf, isSingleEmoji, SLUG_MAX, slugOf } from '../../../../contract/agent-naming';

/**
 * The agent that holds `slug`, or `undefined`. Every agent that is not archived holds its slug (the
 * core's LIVE_PHASES: from `creating` to `purging`), so a new agent cannot take it.
 */
export function agentHoldingSlug(agents: readonly Agent[], slug: string): Agent | undefined {
  return agents.find((a) => a.phase !== 'archived' && a.slug === slug);
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** The grapheme clusters of `text` (Unicode UAX #29: a ZWJ family, a flag or a keycap is one). */
export function graphemes(text: string): string[] {
  return [...segmenter.segment(text)].map((s) => s.segment);
}

/**
 * Why a typed emoji is refused, one line naming what was typed and what is valid; `null` when it is
 * exactly one emoji. Surrounding spaces are ignored.
 */
export function emojiProblem(typed: string): string | null {
  const text = typed.trim();
  if (text === '') return 'Type one emoji, e.g. 🦊';
  if (isSingleEmoji(text)) return null;
  const count = graphemes(text).length;
  if (count > 1 && graphemes(text).every((g) => isSingleEmoji(g)))
    return `“${text}” is ${count} emoji; keep exactly one`;
  return `“${text}” is not an emoji; type or paste exactly one, e.g. 🦊`;
}
