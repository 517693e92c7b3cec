// Slugs, container names and the one-emoji check.
import { describe, expect, it } from 'vitest';
import { containerNameOf, isSingleEmoji, SLUG_MAX, slugOf } from './naming';
import { AgentName } from '../../../contract/agents';

describe('slugOf', () => {
  it.each([
    ['Research Bot', 'research-bot'],
    ['  Émile’s  Helper!! ', 'emile-s-helper'],
    ['Über_Agent 2', 'uber-agent-2'],
    ['---', 'agent'],
    ['研究', 'agent'],
    ['🤖', 'agent'],
  ])('%j → %s', (name, slug) => expect(slugOf(name)).toBe(slug));

  it('caps the length without a trailing dash, so container names stay within 63 characters', () => {
    const slug = slugOf(`${'a'.repeat(SLUG_MAX - 1)} bcd`);
    expect(slug.length).toBeLessThanOrEqual(SLUG_MAX);
    expect(slug.endsWith('-')).toBe(false);
    expect(containerNameOf(slug)).toBe(`agentdesk-${slug}`);
  });
});

describe('isSingleEmoji', () => {
  it.each(['🤖', '👩‍💻', '👍🏽', '🇫🇷', '1️⃣', '❤️'])('accepts %s', (e) => expect(isSingleEmoji(e)).toBe(true));
  it.each(['', 'a', 'ab', '🤖🤖', '🤖 ', ':)', '1'])('refuses %j', (e) =>
    expect(isSingleEmoji(e)).toBe(false),
  );
});

describe('AgentName', () => {
  it.each(['!!!', '---', '🤖', '  ?! ', '…'])(
    'refuses %j: no letter or digit, nothing to tell it apart by',
    (name) => {
      const r = AgentName.safeParse(name);
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => i.message)).toContain('the name needs at least one letter or digit');
    },
  );
  it.each(['Research Bot', '研究', 'R2', '7', 'Émile 🦊'])('accepts %j', (name) =>
    expect(AgentName.safeParse(name).success).toBe(true),
  );
});
