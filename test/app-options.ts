// Test helper: the core's options as an entry point would resolve them, from this process's environment plus the test's own variables.
import type { AppOptions } from '../main/platform/paths';
import { resolveOptions } from '../main/platform/paths';

/**
 * {@link AppOptions} from `process.env` with `extra` on top (e.g. `{ AGENTDESK_KEY_SCRIPTED: key }`),
 * so a test configures its core without changing the global environment.
 */
export function testOptions(extra: Record<string, string | undefined> = {}): AppOptions {
  return resolveOptions({ ...process.env, ...extra });
}
