// Writes OpenClaw's configuration into an agent's home at deploy: openclaw.json (no secret) and the virtual key file, both 0600.
import fs from 'node:fs';
import path from 'node:path';

/** Where the container sees the agent's home (mounted from `<data>/agents/<id>/home`). */
const CONTAINER_HOME = '/home/agent';
/** The file holding only the virtual key, relative to the home. */
export const OPENCLAW_KEY_FILE = '.openclaw/agentdesk-virtual-key';
/** OpenClaw's config file, relative to the home (its state dir is `~/.openclaw`). */
export const OPENCLAW_CONFIG_FILE = '.openclaw/openclaw.json';
/** The port OpenClaw's own gateway listens on, on the container's loopback only (the harness drives it). */
export const OPENCLAW_GATEWAY_PORT = 18789;

/** Input of {@link writeOpenClawConfig}. */
export interface OpenClawConfigInput {
  /** The agent's home on the host. */
  home: string;
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
 * The `openclaw.json` for an agent (format of openclaw 2026.9.6, see docs/frameworks/openclaw.md):
 * one custom OpenAI-compatible provider `agentdesk` whose models are the agent's scope and whose API key
 * is a file SecretRef (`mode: "singleValue"`) to {@link OPENCLAW_KEY_FILE}, so the config itself holds
 * no secret; the default model `agentdesk/<model>` with the fallbacks; OpenClaw's gateway in local mode
 * on loopback without auth (only the harness in the same container reaches it) with its
 * `/v1/chat/completions` endpoint enabled; heartbeat and dreaming off (no model call without a user turn).
 */
export function openClawConfig(
  input: Omit<OpenClawConfigInput, 'home' | 'virtualKey'>,
): Record<string, unknown> {
  const models = [input.model, ...input.fallbacks.filter((m) => m !== input.model)];
  return {
    gateway: {
      mode: 'local',
      port: OPENCLAW_GATEWAY_PORT,
      bind: 'loopback',
      auth: { mode: 'none' },
      http: { endpoints: { chatCompletions: { enabled: true } } },
    },
    secrets: {
      providers: {
        agentdesk: {
          source: 'file',
          path: `${CONTAINER_HOME}/${OPENCLAW_KEY_FILE}`,
          mode: 'singleValue',
        },
      },
    },
    models: {
      mode: 'replace',
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
 * Writes `<home>/.openclaw/openclaw.json` and `<home>/.openclaw/agentdesk-virtual-key` (the key and
 * nothing else), each 0600 in a 0700 folder, atomically (temp file + rename, so the key file has one
 * hard link, as OpenClaw's file secret provider requires). Called at every deploy and restore, so a new
 * virtual key replaces the old one.
 * @throws Error when the key is not a virtual key (`sk-agentdesk-…`), or on a file system error.
 */
export function writeOpenClawConfig(input: OpenClawConfigInput): void {
  if (!/^sk-agentdesk-[A-Za-z0-9_-]+$/.test(input.virtualKey))
    throw new Error('OpenClaw gets only an Agent Desk virtual key (sk-agentdesk-…), never another key');
  const dir = path.join(input.home, '.openclaw');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  writePrivate(path.join(input.home, OPENCLAW_KEY_FILE), input.virtualKey);
  writePrivate(
    path.join(input.home, OPENCLAW_CONFIG_FILE),
    `${JSON.stringify(openClawConfig(input), null, 2)}\n`,
  );
}

function writePrivate(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}
