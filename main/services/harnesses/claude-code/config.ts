// Claude Code's configuration: the gateway as its Anthropic base URL, the virtual key as its API key, the agent's model for every role, non-essential traffic off.
import type { HarnessEndpoint } from '../harness';

/**
 * The env-file entries that configure Claude Code (its documented environment variables, checked with
 * 2.1.328 against a scripted provider): `ANTHROPIC_BASE_URL` = the gateway (Claude Code calls
 * `<it>/v1/messages`), `ANTHROPIC_API_KEY` = the agent's virtual key (sent as `x-api-key`; the gateway
 * swaps it for LiteLLM's master key), the agent's model as the main model and as every model Claude Code
 * would otherwise pick by itself (Opus/Sonnet/Haiku defaults, the small fast model, subagents) — anything
 * else is outside the key's scope and refused — and telemetry, error reporting, auto-update and all other
 * non-essential traffic off, so nothing but the gateway is ever called.
 * @throws Error when the key is not an Agent Desk virtual key.
 */
export function claudeCodeEnv(endpoint: HarnessEndpoint): Record<string, string> {
  if (!/^sk-agentdesk-[A-Za-z0-9_-]+$/.test(endpoint.virtualKey))
    throw new Error('Claude Code gets only an Agent Desk virtual key (sk-agentdesk-…), never another key');
  const m = endpoint.model;
  return {
    ANTHROPIC_BASE_URL: endpoint.gateway,
    ANTHROPIC_API_KEY: endpoint.virtualKey,
    ANTHROPIC_MODEL: m,
    ANTHROPIC_DEFAULT_OPUS_MODEL: m,
    ANTHROPIC_DEFAULT_SONNET_MODEL: m,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: m,
    ANTHROPIC_SMALL_FAST_MODEL: m,
    CLAUDE_CODE_SUBAGENT_MODEL: m,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_BUG_COMMAND: '1',
  };
}
