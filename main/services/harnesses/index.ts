// Loads every harness folder (main/services/harnesses/<id>/index.ts) into one registry: adding a harness is adding a folder.
import type { HarnessPlugin } from './harness';
import type { HarnessModule } from './registry';
import { HarnessRegistry, harnessesDir } from './registry';

/** The folders' modules, bundled at build time (Vite's import.meta.glob). */
const modules = import.meta.glob<HarnessModule>('./*/index.ts', { eager: true });

/**
 * The registry of this installation's harnesses, plus `extra` ones loaded from elsewhere (tests and
 * harness authors pass theirs with its folder; docs/harnesses.md). `dir`: where the built-in folders'
 * files are (default: the checkout's, {@link harnessesDir}). Call once, in the composition root.
 */
export function loadHarnesses(extra: HarnessPlugin[] = [], dir: string = harnessesDir()): HarnessRegistry {
  return new HarnessRegistry(modules, extra, dir);
}
