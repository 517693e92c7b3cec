// Agent naming rules shared by the core and the UI: the slug of a name, container names, the one-emoji check.

/**
 * Longest slug: `agentdesk-archived-` (19) + slug + `-2` restore suffix room + `-YYYYMMDD-HHMMSS` (16) stays
 * within 63, the Incus (hostname) and practical Docker limit.
 */
export const SLUG_MAX = 26;

/**
 * Derives the slug of an agent name: accents folded (NFKD), lowercase, runs of anything but a–z/0–9
 * become one dash, trimmed to {@link SLUG_MAX}. A name with no Latin letter or digit (e.g. only CJK or
 * emoji) gives `agent`.
 */
export function slugOf(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
  const slug = ascii
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX)
    .replace(/-+$/g, '');
  return slug || 'agent';
}

/** The container of an agent: `agentdesk-<slug>`. */
export function containerNameOf(slug: string): string {
  return `agentdesk-${slug}`;
}

/** Made at the first use: building it loads ICU's break rules, about 7 ms of the core's start at module load. */
let segmenter: Intl.Segmenter | null = null;
const PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;

/**
 * True when `text` is exactly one emoji: one grapheme cluster (Unicode UAX #29, so ZWJ sequences, skin
 * tones, flags and keycaps count as one) that contains a pictographic character.
 */
export function isSingleEmoji(text: string): boolean {
  const graphemes = [...(segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' })).segment(text)];
  return graphemes.length === 1 && PICTOGRAPHIC.test(text);
}
