// Helpers for tests that need a real component (Docker, Incus, keychain, LiteLLM, Chromium).

/** True when CI demands real components (`AGENTDESK_REQUIRE_REAL=1`): a missing one must fail, not skip. */
export const REQUIRE_REAL = process.env.AGENTDESK_REQUIRE_REAL === '1';

/**
 * Decides whether a suite needing `what` is skipped: only when the component is absent AND
 * real components are not required. With AGENTDESK_REQUIRE_REAL=1 the suite runs and fails.
 * Logs why a suite is skipped, so a skip is never silent.
 */
export function skipUnlessReal(available: boolean, what: string): boolean {
  if (available || REQUIRE_REAL) return false;
  console.warn(`[skip] ${what} is not available here; set AGENTDESK_REQUIRE_REAL=1 to make this a failure`);
  return true;
}
