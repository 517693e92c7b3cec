// Hash routing (`#/system`): the page survives a reload and needs no router library.
import { useSyncExternalStore } from 'react';

/**
 * The page id named by a location hash (`#/settings` → `settings`), or `fallback` when the hash names
 * none of `known` (empty, `#token=…`, a stale bookmark).
 */
export function pageFromHash(hash: string, known: readonly string[], fallback: string): string {
  const id = hash.replace(/^#\/?/, '').split(/[/?&]/)[0] ?? '';
  return known.includes(id) ? id : fallback;
}

/** The hash that shows page `id`. */
export const hashFor = (id: string): string => `#/${id}`;

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

/** React hook: the current page id, following `hashchange`. */
export function usePage(known: readonly string[], fallback: string): string {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return pageFromHash(hash, known, fallback);
}
