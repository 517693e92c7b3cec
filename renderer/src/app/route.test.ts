// Unit tests of hash → page resolution.
import { describe, expect, it } from 'vitest';
import { hashFor, pageFromHash } from './route';

const PAGES = ['agents', 'providers', 'traces', 'settings', 'system'];

describe('pageFromHash', () => {
  it('reads #/<id> and round-trips with hashFor', () => {
    expect(pageFromHash('#/system', PAGES, 'agents')).toBe('system');
    expect(pageFromHash(hashFor('settings'), PAGES, 'agents')).toBe('settings');
    expect(pageFromHash('#settings', PAGES, 'agents')).toBe('settings');
  });

  it('falls back for empty, token and unknown hashes', () => {
    expect(pageFromHash('', PAGES, 'agents')).toBe('agents');
    expect(pageFromHash('#token=abc', PAGES, 'agents')).toBe('agents');
    expect(pageFromHash('#/nope', PAGES, 'agents')).toBe('agents');
  });
});
