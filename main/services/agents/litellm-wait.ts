// A deploy that reaches `verifying` while LiteLLM is still starting waits for it (bounded) instead of failing with a 503.
import type { LitellmState } from '../../../contract/llm';

/** What a deploy shows while it waits (the `verifying` phase's reason and progress message). */
export const WAITING_FOR_LITELLM = 'waiting for LiteLLM to start';

/**
 * Waits while LiteLLM is `starting` (adding the first provider starts it: 6–13 s on a 2-core machine,
 * docs/decisions/012-real-model.md) and returns once it is in any other state: `ready`, or one the
 * verify step reports better than a timeout (idle, missing, failed, restarting after a crash).
 * @param state LiteLLM's state now (LlmService.status().litellm.state).
 * @param onWait called once, when it has to wait.
 * @param deadlineMs how long to wait at most (ms).
 * @throws Error naming the deadline when LiteLLM is still starting after it.
 */
export async function waitForLitellm(
  state: () => LitellmState,
  onWait: () => void,
  deadlineMs = 180_000,
  pollMs = 200,
): Promise<void> {
  if (state() !== 'starting') return;
  onWait();
  const until = Date.now() + deadlineMs;
  while (state() === 'starting') {
    if (Date.now() >= until)
      throw new Error(
        `LiteLLM did not finish starting within ${Math.round(deadlineMs / 1000)} s; see the System view for its last lines`,
      );
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
