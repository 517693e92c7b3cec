// Unit tests of the token hand-over: fragment → sessionStorage, fragment removed from the address bar.
import { describe, expect, it, vi } from 'vitest';
import { forgetToken, takeToken, TOKEN_STORAGE_KEY } from './token';
import type { TokenEnv } from './token';

function env(
  hash: string,
  saved?: string,
): TokenEnv & { store: Map<string, string>; replaceState: ReturnType<typeof vi.fn> } {
  const store = new Map<string, string>(saved ? [[TOKEN_STORAGE_KEY, saved]] : []);
  const replaceState = vi.fn();
  return {
    store,
    replaceState,
    location: { hash, pathname: '/', search: '' },
    history: { replaceState, state: null },
    storage: {
      getItem: (k) => store.get(k) ?? null,
      setItem: (k, v) => void store.set(k, v),
      removeItem: (k) => void store.delete(k),
    },
  };
}

describe('takeToken', () => {
  it('takes the token from #token=, saves it and clears the fragment', () => {
    const e = env('#token=abc123', 'old');
    expect(takeToken(e)).toBe('abc123');
    expect(e.store.get(TOKEN_STORAGE_KEY)).toBe('abc123');
    expect(e.replaceState).toHaveBeenCalledWith(null, '', '/');
  });

  it('uses the saved token when the fragment has none, without touching history', () => {
    const e = env('#/settings', 'saved');
    expect(takeToken(e)).toBe('saved');
    expect(e.replaceState).not.toHaveBeenCalled();
  });

  it('answers null when there is no token anywhere', () => {
    expect(takeToken(env(''))).toBeNull();
    expect(takeToken(env('#token='))).toBeNull();
  });

  it('forgets a refused token', () => {
    const e = env('', 'x');
    forgetToken(e);
    expect(takeToken(e)).toBeNull();
  });
});
