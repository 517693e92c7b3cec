// Unit tests of the naming rules as the renderer uses them (contract/agent-naming.ts): slugs as the core makes them, one-emoji check, taken names.
import { describe, expect, it } from 'vitest';
import { sampleAgent } from '../../test/fake-client';
import { agentHoldingSlug, emojiProblem, isSingleEmoji, SLUG_MAX, slugOf } from './naming';

describe('slugOf (contract/agent-naming.ts, shared with the core)', () => {
  it.each([
    ['My Helper', 'my-helper'],
    ['  Zoë’s   Agent!! ', 'zoe-s-agent'],
    ['Ünïcödé', 'unicode'],
    ['研究助手', 'agent'],
    ['🦊', 'agent'],
    ['a'.repeat(SLUG_MAX - 1) + ' b', 'a'.repeat(SLUG_MAX - 1)],
    ['x'.repeat(40), 'x'.repeat(SLUG_MAX)],
  ])('%s → %s', (name, slug) => {
    expect(slugOf(name)).toBe(slug);
  });
});

describe('isSingleEmoji and emojiProblem', () => {
  it.each(['🦊', '👩‍💻', '👍🏽', '🇫🇷', '1️⃣', '❤️'])('accepts %s as one emoji', (e) => {
    expect(isSingleEmoji(e)).toBe(true);
    expect(emojiProblem(` ${e} `)).toBeNull();
  });

  it('refuses text, two emoji and nothing, saying what was typed', () => {
    expect(isSingleEmoji('a')).toBe(false);
    expect(emojiProblem('ab')).toBe('“ab” is not an emoji; type or paste exactly one, e.g. 🦊');
    expect(emojiProblem('🦊🐙')).toBe('“🦊🐙” is 2 emoji; keep exactly one');
    expect(emojiProblem('  ')).toBe('Type one emoji, e.g. 🦊');
  });
});

describe('agentHoldingSlug', () => {
  it('finds a live agent with the slug and ignores archived ones', () => {
    const live = sampleAgent({ slug: 'helper', phase: 'stopped' });
    const archived = sampleAgent({ id: 'b', slug: 'old', phase: 'archived', archived_at: 1 });
    expect(agentHoldingSlug([live, archived], 'helper')).toBe(live);
    expect(agentHoldingSlug([live, archived], 'old')).toBeUndefined();
  });
});
