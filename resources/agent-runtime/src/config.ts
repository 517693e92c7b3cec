// The runtime's settings, read once from its environment (PROTOCOL.md "Environment") and checked.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config-error';
import type { Instructions } from './instructions';
import { loadInstructions } from './instructions';

/** The runtime's version, reported by `GET /health`. */
export const RUNTIME_VERSION = '0.1.0';

/** Limits that PROTOCOL.md fixes. */
export const LIMITS = {
  /** Largest `POST /turn` body, bytes (1 MiB). */
  bodyBytes: 1024 * 1024,
  /** Output of one tool shown to the model and in events, bytes (64 KiB). */
  outputBytes: 64 * 1024,
  /** Largest file `write_file` accepts, bytes (the body limit bounds it anyway). */
  writeBytes: 1024 * 1024,
} as const;

/** Everything the runtime needs to serve turns (with the agent's instructions, see instructions.ts). */
export interface RuntimeConfig extends Instructions {
  /** The gateway's OpenAI-compatible base URL, without a trailing slash, e.g. `http://172.30.0.1:4100/v1`. */
  baseUrl: string;
  /** The agent's virtual key; sent only as `Authorization: Bearer` to {@link baseUrl}; never logged. */
  apiKey: string;
  /** `<provider-id>/<model-id>`. */
  model: string;
  agentId: string;
  agentName: string;
  /** Listen address; `0.0.0.0` in a container. */
  host: string;
  /** TCP port; 0 = any free port (tests). */
  port: number;
  /** Model calls per turn (≥ 1). */
  maxSteps: number;
  /** The agent's home, `/home/agent` in a container. */
  homeDir: string;
  /** `<homeDir>/workspace`: the only folder the file tools and the shell's cwd use. */
  workspace: string;
  /** `<homeDir>/.agentdesk/threads`. */
  threadsDir: string;
  /** Deadline of one `shell` command, ms. */
  shellTimeoutMs: number;
  /**
   * The runtime credential: every route but `GET /health` requires `Authorization: Bearer <it>`
   * (PROTOCOL.md "Authentication"). Only the core sends it; never logged.
   */
  credential: string;
}

/** Where the app writes the runtime credential (the read-only config folder). */
export const DEFAULT_CREDENTIAL_FILE = '/opt/agentdesk/config/runtime-token';

type Env = Record<string, string | undefined>;

function required(env: Env, name: string, what: string): string {
  const v = env[name]?.trim();
  if (!v) throw new ConfigError(`${name} is not set: it must hold ${what}`);
  return v;
}

function integer(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)} is invalid: use a whole number from ${min} to ${max}`,
    );
  return Number(raw);
}

/**
 * The base URL as the runtime uses it: `http:`/`https:` only, no trailing slash.
 * @throws ConfigError naming `OPENAI_BASE_URL` when it is missing or not an http(s) URL.
 */
export function baseUrlOf(env: Env): string {
  const raw = required(env, 'OPENAI_BASE_URL', 'the gateway URL, e.g. http://172.30.0.1:4100/v1');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `OPENAI_BASE_URL=${JSON.stringify(raw)} is not a URL: use e.g. http://172.30.0.1:4100/v1`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`OPENAI_BASE_URL must start with http:// or https://, got ${url.protocol}`);
  return raw.replace(/\/+$/, '');
}

/** The settings `verify` needs (a subset: no port, no folders). @throws ConfigError */
export function loadVerifyConfig(env: Env): Pick<RuntimeConfig, 'baseUrl' | 'apiKey' | 'model'> {
  return {
    baseUrl: baseUrlOf(env),
    apiKey: required(env, 'OPENAI_API_KEY', "the agent's virtual key (sk-agentdesk-…)"),
    model: required(env, 'AGENTDESK_MODEL', 'the model id, <provider-id>/<model-id>'),
  };
}

/**
 * Reads the runtime's settings from `env` (PROTOCOL.md "Environment"). Besides the documented variables:
 * `AGENTDESK_HOST` (default `0.0.0.0`), `AGENTDESK_HOME_DIR` (default `/home/agent`, so tests run on the
 * host), `AGENTDESK_SHELL_TIMEOUT_MS` (default 60000).
 * @throws ConfigError naming the first missing or invalid variable.
 */
export function loadConfig(env: Env): RuntimeConfig {
  const homeDir = path.resolve(env.AGENTDESK_HOME_DIR?.trim() || '/home/agent');
  return {
    ...loadVerifyConfig(env),
    agentId: env.AGENTDESK_AGENT_ID?.trim() || 'unknown',
    agentName: env.AGENTDESK_AGENT_NAME?.trim() || 'agent',
    host: env.AGENTDESK_HOST?.trim() || '0.0.0.0',
    port: integer(env, 'AGENTDESK_PORT', 8100, 0, 65535),
    maxSteps: integer(env, 'AGENTDESK_MAX_STEPS', 12, 1, 200),
    homeDir,
    workspace: path.join(homeDir, 'workspace'),
    threadsDir: path.join(homeDir, '.agentdesk', 'threads'),
    shellTimeoutMs: integer(env, 'AGENTDESK_SHELL_TIMEOUT_MS', 60_000, 100, 3_600_000),
    credential: credentialOf(env),
    ...loadInstructions(env),
  };
}

/**
 * The runtime credential: `AGENTDESK_RUNTIME_TOKEN` (tests), else the file `AGENTDESK_RUNTIME_TOKEN_FILE`
 * (default {@link DEFAULT_CREDENTIAL_FILE}), trimmed; 20–200 characters of base64url.
 * @throws ConfigError naming the variable or file when it is missing or malformed (the runtime then
 *   refuses to start rather than serve without authentication).
 */
export function credentialOf(env: Env): string {
  let value = env.AGENTDESK_RUNTIME_TOKEN?.trim();
  let source = 'AGENTDESK_RUNTIME_TOKEN';
  if (!value) {
    const file = env.AGENTDESK_RUNTIME_TOKEN_FILE?.trim() || DEFAULT_CREDENTIAL_FILE;
    source = file;
    try {
      value = fs.readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(
        `the runtime credential file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): the app writes it; set AGENTDESK_RUNTIME_TOKEN_FILE or AGENTDESK_RUNTIME_TOKEN`,
      );
    }
  }
  if (!/^[A-Za-z0-9_-]{20,200}$/.test(value))
    throw new ConfigError(
      `the runtime credential in ${source} is malformed: use 20–200 characters [A-Za-z0-9_-]`,
    );
  return value;
}
