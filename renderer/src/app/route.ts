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

/**
 * The argument after the page id in a location hash (`#/chat/<agent id>` → the agent id), decoded;
 * `null` when there is none.
 */
export function argFromHash(hash: string): string | null {
  const arg = hash.replace(/^#\/?/, '').split(/[?&]/)[0]?.split('/')[1] ?? '';
  if (!arg) return null;
  try {
    return decodeURIComponent(arg);
  } catch {
    return null;
  }
}

/** The hash of page `id` with argument `arg` (`#/chat/<agent id>`). */
export const hashWithArg = (id: string, arg: string): string => `#/${id}/${encodeURIComponent(arg)}`;

/** React hook: the argument of the current hash ({@link argFromHash}), following `hashchange`. */
export function useHashArg(): string | null {
  return argFromHash(useSyncExternalStore(subscribe, () => window.location.hash));
}
