// Unit tests of hash → page resolution.
import { describe, expect, it } from 'vitest';
import { argFromHash, hashFor, hashWithArg, pageFromHash } from './route';

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

describe('argFromHash', () => {
  it('reads the argument after the page id and round-trips with hashWithArg', () => {
    expect(pageFromHash(hashWithArg('chat', 'a b/c'), ['chat'], 'agents')).toBe('chat');
    expect(argFromHash(hashWithArg('chat', 'a b/c'))).toBe('a b/c');
    expect(argFromHash('#/chat')).toBeNull();
    expect(argFromHash('#/chat/')).toBeNull();
    expect(argFromHash('#/chat/%E0%A4%A')).toBeNull();
  });
});
