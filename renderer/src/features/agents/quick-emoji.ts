// The 12 emoji of the create dialog's quick-pick grid, with the names screen readers announce.

/** An emoji and its CLDR short name (what a screen reader says for it). */
export interface NamedEmoji {
  emoji: string;
  name: string;
}

/** Quick picks that suit agents; CLDR short names (unicode.org/emoji/charts). */
export const QUICK_EMOJIS: readonly NamedEmoji[] = [
  { emoji: '🤖', name: 'robot' },
  { emoji: '🧠', name: 'brain' },
  { emoji: '🦊', name: 'fox' },
  { emoji: '🐙', name: 'octopus' },
  { emoji: '🦉', name: 'owl' },
  { emoji: '🐝', name: 'honeybee' },
  { emoji: '🚀', name: 'rocket' },
  { emoji: '🛠️', name: 'hammer and wrench' },
  { emoji: '📚', name: 'books' },
  { emoji: '🔍', name: 'magnifying glass tilted left' },
  { emoji: '🧪', name: 'test tube' },
  { emoji: '✨', name: 'sparkles' },
];

/**
 * The 12 quick picks for a harness whose default emoji is `harnessEmoji`: the default always comes
 * first (named "<harness> default"), followed by the others in {@link QUICK_EMOJIS} order.
 */
export function quickPicks(harnessEmoji: string, harnessLabel: string): NamedEmoji[] {
  const known = QUICK_EMOJIS.find((q) => q.emoji === harnessEmoji);
  const first: NamedEmoji = {
    emoji: harnessEmoji,
    name: `${known?.name ?? 'emoji'}, default of ${harnessLabel}`,
  };
  return [first, ...QUICK_EMOJIS.filter((q) => q.emoji !== harnessEmoji)].slice(0, QUICK_EMOJIS.length);
}
