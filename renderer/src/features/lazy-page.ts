// Pages loaded when first shown: the shell (sidebar) paints before their code is fetched and parsed.
import { lazy } from 'react';
import type { ComponentType } from 'react';

/**
 * The component `name` of the module `load` imports, loaded on first render (React.lazy; the shell's
 * Suspense shows nothing in its place meanwhile). `load` must be a literal `() => import('./File')`, so
 * the bundler puts that file in a chunk of its own.
 */
export function lazyPage<K extends string>(
  load: () => Promise<Record<K, ComponentType>>,
  name: K,
): ComponentType {
  return lazy<ComponentType>(() => load().then((m) => ({ default: m[name] })));
}
