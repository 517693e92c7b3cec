// Writes OpenClaw's configuration into the agent's config folder (host-written, mounted read-only): openclaw.json, the virtual key file, its gateway token.
import crypto from 'node:crypto';
import type { ConfigFolder } from '../harness';

/** Where the container sees the config folder (docs/decisions/010-agent-containment.md). */
const CONFIG_MOUNT = '/opt/agentdesk/config';

/** Where the container sees the agent's home (mounted from `<data>/agents/<id>/home`). */
const CONTAINER_HOME = '/home/agent';
/** The file holding only the virtual key, in the config folder. */
export const OPENCLAW_KEY_FILE = 'openclaw-virtual-key';
/** OpenClaw's config file in the config folder (`OPENCLAW_CONFIG_PATH`); its state dir stays `~/.openclaw`. */
export const OPENCLAW_CONFIG_FILE = 'openclaw.json';
/** The token of OpenClaw's own gateway (`gateway.auth` token mode), read by the harness. */
export const OPENCLAW_TOKEN_FILE = 'openclaw-gateway-token';
/** The environment the harness and OpenClaw need besides the env file's usual entries. */
export const OPENCLAW_ENV = {
  OPENCLAW_CONFIG_PATH: `${CONFIG_MOUNT}/${OPENCLAW_CONFIG_FILE}`,
  OPENCLAW_STATE_DIR: `${CONTAINER_HOME}/.openclaw`,
  // No daily update check to telemetry.openclaw.ai (docs/gateway/telemetry.md), no tracking.
  OPENCLAW_NO_AUTO_UPDATE: '1',
  DO_NOT_TRACK: '1',
};
/** The port OpenClaw's own gateway listens on, on the container's loopback only (the harness drives it). */
export const OPENCLAW_GATEWAY_PORT = 18789;

/** Input of {@link writeOpenClawConfig}. */
export interface OpenClawConfigInput {
  /** The agent's config folder (host-written, mounted read-only at /opt/agentdesk/config). */
  config: ConfigFolder;
  /** The token OpenClaw's gateway requires (`gateway.auth.mode: "token"`). */
  gatewayToken: string;
  /** The Agent Desk gateway as the container reaches it, e.g. `http://172.30.0.1:4100/v1`. */
  baseUrl: string;
  /** The agent's virtual key `sk-agentdesk-…` (never a provider key). */
  virtualKey: string;
  /** The agent's model, `<provider-id>/<model-id>`. */
  model: string;
  /** Its fallbacks, same form. */
  fallbacks: string[];
}

/**
 * The `openclaw.json` for an agent (format of openclaw 2026.9.6, see docs/harnesses/openclaw.md):
 * one custom OpenAI-compatible provider `agentdesk` whose models are the agent's scope and whose API key
 * is a file SecretRef (`mode: "singleValue"`) to {@link OPENCLAW_KEY_FILE}, so the config itself holds
 * no secret but OpenClaw's own gateway token; the default model `agentdesk/<model>` with the fallbacks;
 * OpenClaw's gateway in local mode on loopback with token auth (only the harness, which reads the token
 * from the config folder, drives it) with its `/v1/chat/completions` endpoint enabled; heartbeat and
 * dreaming off (no model call without a user turn); and nothing but the gateway called: no update check
 * (telemetry.openclaw.ai), no remote model catalog (catalog.openclaw.ai), and memory search by keywords
 * only — its default embeddings are OpenAI's, which would send `OPENAI_API_KEY` (the virtual key) to
 * api.openai.com (measured: each was attempted, and refused by the egress policy).
 */
export function openClawConfig(
  input: Omit<OpenClawConfigInput, 'config' | 'virtualKey'>,
): Record<string, unknown> {
  const models = [input.model, ...input.fallbacks.filter((m) => m !== input.model)];
  return {
    gateway: {
      mode: 'local',
      port: OPENCLAW_GATEWAY_PORT,
      bind: 'loopback',
      auth: { mode: 'token', token: input.gatewayToken },
      http: { endpoints: { chatCompletions: { enabled: true } } },
    },
    secrets: {
      providers: {
        agentdesk: {
          source: 'file',
          path: `${CONFIG_MOUNT}/${OPENCLAW_KEY_FILE}`,
          mode: 'singleValue',
        },
      },
    },
    update: { checkOnStart: false },
    memory: { search: { provider: 'none' } },
    models: {
      mode: 'replace',
      catalogRefresh: { enabled: false },
      providers: {
        agentdesk: {
          baseUrl: input.baseUrl,
          api: 'openai-completions',
          apiKey: { source: 'file', provider: 'agentdesk', id: 'value' },
          models: models.map((id) => ({
            id,
            name: id,
            reasoning: false,
            input: ['text'],
            contextWindow: 128_000,
            maxTokens: 8192,
          })),
        },
      },
    },
    agents: {
      defaults: {
        model: {
          primary: `agentdesk/${input.model}`,
          ...(input.fallbacks.length ? { fallbacks: input.fallbacks.map((m) => `agentdesk/${m}`) } : {}),
        },
        workspace: `${CONTAINER_HOME}/workspace`,
        heartbeat: { every: '0m' },
      },
    },
    plugins: { entries: { 'memory-core': { config: { dreaming: { enabled: false } } } } },
  };
}

/**
 * Writes `openclaw.json`, `openclaw-virtual-key` (the key and nothing else) and `openclaw-gateway-token`
 * into the agent's config folder (0640, the core's; see {@link ConfigFolder.write}), atomically (temp file +
 * rename, so the key file has one hard link, as OpenClaw's file secret provider requires). Nothing is
 * written into the agent's home. Called at every deploy, start and restore.
 * @throws Error when the key is not a virtual key (`sk-agentdesk-…`), or on a file system error.
 */
export function writeOpenClawConfig(input: OpenClawConfigInput): void {
  if (!/^sk-agentdesk-[A-Za-z0-9_-]+$/.test(input.virtualKey))
    throw new Error('OpenClaw gets only an Agent Desk virtual key (sk-agentdesk-…), never another key');
  // OpenClaw reads a file secret only when the reading user owns it and nobody else can read it.
  input.config.write(OPENCLAW_KEY_FILE, input.virtualKey, { ownedByAgent: true });
  input.config.write(OPENCLAW_TOKEN_FILE, `${input.gatewayToken}\n`);
  input.config.write(OPENCLAW_CONFIG_FILE, `${JSON.stringify(openClawConfig(input), null, 2)}\n`);
}

/** A new random token for OpenClaw's gateway. */
export function newGatewayToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}
