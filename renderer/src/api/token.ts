// The access token of `agentdesk serve`: taken from the URL fragment once, then kept in sessionStorage.

/** sessionStorage key holding the token for this tab. */
export const TOKEN_STORAGE_KEY = 'agentdesk.token';

/** The browser pieces the token logic needs, injectable for tests. */
export interface TokenEnv {
  location: Pick<Location, 'hash' | 'pathname' | 'search'>;
  history: Pick<History, 'replaceState' | 'state'>;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

/**
 * Returns the token for this tab, or `null` when there is none.
 * A `#token=…` fragment (as printed by `agentdesk serve`) wins: it is saved under
 * {@link TOKEN_STORAGE_KEY} and removed from the address bar with `history.replaceState`, so it is not
 * left in the history, bookmarks or screenshots. Otherwise the saved token is used.
 */
export function takeToken(env: TokenEnv): string | null {
  const hash = env.location.hash.replace(/^#/, '');
  const params = new URLSearchParams(hash);
  const fromHash = params.get('token');
  if (fromHash) {
    env.storage.setItem(TOKEN_STORAGE_KEY, fromHash);
    env.history.replaceState(env.history.state, '', env.location.pathname + env.location.search);
    return fromHash;
  }
  const saved = env.storage.getItem(TOKEN_STORAGE_KEY);
  return saved && saved.length > 0 ? saved : null;
}

/** Forgets the saved token (after the core refused it). */
export function forgetToken(env: Pick<TokenEnv, 'storage'>): void {
  env.storage.removeItem(TOKEN_STORAGE_KEY);
}
