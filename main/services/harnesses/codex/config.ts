// Codex's configuration: a custom model provider pointing at the gateway, the key from OPENAI_API_KEY (the virtual key), no login, no other traffic.
import type { ConfigFolder, HarnessEndpoint } from '../harness';
import { CODEX_OVERRIDES_FILE } from './drive';

/** A TOML basic string (a JSON string is one for the characters a URL or a name holds). */
const toml = (s: string): string => JSON.stringify(s);

/**
 * The `-c key=value` overrides of Codex's config (0.169.0, checked against a scripted provider): the
 * model provider `agentdesk` = the gateway's `/v1` with the Responses API, its key read from the
 * environment variable `OPENAI_API_KEY` (the agent's virtual key, already in the env file), so Codex
 * needs no login; its plugin marketplace sync (a `git ls-remote` of github.com/openai/plugins at start),
 * analytics and update checks off, so nothing but the gateway is called.
 */
export function codexOverrides(endpoint: HarnessEndpoint): string[] {
  return [
    `model_provider=${toml('agentdesk')}`,
    `model_providers.agentdesk.name=${toml('Agent Desk gateway')}`,
    `model_providers.agentdesk.base_url=${toml(`${endpoint.gateway}/v1`)}`,
    `model_providers.agentdesk.env_key=${toml('OPENAI_API_KEY')}`,
    `model_providers.agentdesk.wire_api=${toml('responses')}`,
    'features.plugins=false',
    'analytics.enabled=false',
    'check_for_update_on_startup=false',
  ];
}

/**
 * Writes {@link codexOverrides} into the agent's config folder (`codex-overrides.json`, read by the
 * adapter and passed as `-c` flags: the agent cannot change them). Codex keeps its own state in the
 * writable home (`~/.codex`). @throws Error when the key is not a virtual key.
 */
export function writeCodexConfig(config: ConfigFolder, endpoint: HarnessEndpoint): Record<string, string> {
  if (!/^sk-agentdesk-[A-Za-z0-9_-]+$/.test(endpoint.virtualKey))
    throw new Error('Codex gets only an Agent Desk virtual key (sk-agentdesk-…), never another key');
  config.write(CODEX_OVERRIDES_FILE, `${JSON.stringify(codexOverrides(endpoint), null, 2)}\n`);
  return {};
}
