// The LiteLLM proxy config (YAML) built from the providers: one model per provider model, keys by env reference only.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { providerKeyEnvVar } from '../../secrets/secret-store';
import { isEmbeddingModel, litellmModelOf } from '../../providers/catalog';

/** One provider as the config needs it (built from the providers table and the catalog). */
export interface LitellmProvider {
  /** Provider id (slug), e.g. `openai`, `my-vllm`. */
  providerId: string;
  /** Catalog type, e.g. `openai`, `anthropic`, `ollama`. */
  type: string;
  /** The catalog's LiteLLM prefix, e.g. `openai/`, `anthropic/`, `ollama_chat/`. */
  prefix: string;
  /** What LiteLLM takes as `api_base` (the provider's base URL). */
  apiBase: string;
  /** True when no key is sent to this provider (keyless type, or an optional key that is not set). */
  keyless: boolean;
  /** The provider's own model ids, e.g. `gpt-4o-mini`. */
  models: string[];
  /** A local model server (catalog kind `local`: Ollama, LM Studio, llama.cpp, vLLM, Jan): its calls cost nothing. */
  local?: boolean;
}

/** A model LiteLLM serves: its public name, the provider, and the LiteLLM model string. */
export interface ServedModel {
  /** `<provider-id>/<model-id>`: what agents send as `model`. */
  name: string;
  providerId: string;
  /** `<prefix><model-id>`, e.g. `openai/gpt-4o-mini`. */
  litellmModel: string;
  /** Served by a local model server: cost 0, no price looked up. */
  local?: boolean;
}

/** The env var holding LiteLLM's master key (random per start, never on disk). */
export const MASTER_KEY_ENV = 'LITELLM_MASTER_KEY';

/**
 * Sent as `api_key` to keyless OpenAI-style providers: LiteLLM's OpenAI client refuses to call without
 * one ("Missing credentials", measured on litellm 1.106.2). Not a secret; local servers ignore it.
 */
export const NO_KEY_PLACEHOLDER = 'agentdesk-no-key';

/** The public model name of `modelId` served by `providerId`: `<provider-id>/<model-id>`. */
export function servedModelName(providerId: string, modelId: string): string {
  return `${providerId}/${modelId}`;
}

/** The provider id of a served model name (the part before the first `/`), or `null`. */
export function providerOfModel(name: string): string | null {
  const slash = name.indexOf('/');
  return slash > 0 ? name.slice(0, slash) : null;
}

/**
 * Whether LiteLLM would send a Responses request for this provider's models to a native `/responses`
 * that an OpenAI-compatible server may not have (litellm 1.106.2 `get_provider_responses_api_config`:
 * `openai/` and `hosted_vllm/` among our catalog's prefixes), so it must be told to use chat completions.
 */
export function bridgesResponses(p: Pick<LitellmProvider, 'type' | 'prefix'>): boolean {
  return (p.prefix === 'openai/' && p.type !== 'openai') || p.prefix === 'hosted_vllm/';
}

/** What {@link buildLitellmConfig} produces. */
export interface LitellmConfig {
  /** The YAML text; holds no secret (keys are `os.environ/…` references). */
  yaml: string;
  models: ServedModel[];
  /** The env vars the config references for provider keys (`AGENTDESK_KEY_<ID>`). */
  keyEnvVars: string[];
}

/**
 * Builds the LiteLLM proxy config (docs.litellm.ai/docs/proxy/configs): one `model_list` entry per
 * provider model, named `<provider-id>/<model-id>`, with `litellm_params.model = <prefix><model-id>`,
 * `api_base`, and `api_key: os.environ/AGENTDESK_KEY_<PROVIDER_ID>` (a placeholder, not a key, for
 * keyless OpenAI-style providers; nothing for Ollama); embedding models get `model_info.mode: embedding`;
 * chat models of OpenAI-compatible servers (prefix `openai/` of another type than OpenAI itself, and
 * `hosted_vllm/`) get `use_chat_completions_api: true`, so an OpenAI Responses request (`/v1/responses`,
 * Codex's) reaches them as chat completions (LiteLLM's bridge) rather than at a `/responses` most of them
 * lack; LiteLLM bridges providers without a native Responses API anyway, and OpenAI keeps its own
 * (and `ollama/` instead of `ollama_chat/`, see {@link litellmModelOf}). `general_settings.master_key` names the env
 * var: LiteLLM ignores a master key placed under `litellm_settings` (then any key passes); router cooldowns
 * are off (each model has a single deployment); `drop_params` (a request field the model's provider does
 * not support is dropped, not a 400), so every harness works with every served model. Pure: same input,
 * same text. Providers without models contribute nothing.
 */
export function buildLitellmConfig(providers: readonly LitellmProvider[]): LitellmConfig {
  const models: ServedModel[] = [];
  const keyEnvVars: string[] = [];
  const modelList: unknown[] = [];
  for (const p of [...providers].sort((a, b) => a.providerId.localeCompare(b.providerId))) {
    if (p.models.length === 0) continue;
    const keyVar = providerKeyEnvVar(p.providerId);
    if (!p.keyless) keyEnvVars.push(keyVar);
    for (const modelId of p.models) {
      const name = servedModelName(p.providerId, modelId);
      const litellmModel = litellmModelOf(p.prefix, modelId);
      const params: Record<string, string | boolean> = { model: litellmModel, api_base: p.apiBase };
      if (bridgesResponses(p) && !isEmbeddingModel(modelId)) params.use_chat_completions_api = true;
      if (!p.keyless) params.api_key = `os.environ/${keyVar}`;
      else if (!p.prefix.startsWith('ollama')) params.api_key = NO_KEY_PLACEHOLDER;
      modelList.push(
        isEmbeddingModel(modelId)
          ? { model_name: name, litellm_params: params, model_info: { mode: 'embedding' } }
          : { model_name: name, litellm_params: params },
      );
      models.push({ name, providerId: p.providerId, litellmModel, ...(p.local ? { local: true } : {}) });
    }
  }
  const doc = new YAML.Document({
    model_list: modelList,
    // One deployment per model: a cooldown after a failure would turn every later call into
    // "No deployments available" (429) for a while (measured on litellm 1.106.2).
    router_settings: { disable_cooldowns: true },
    // A field one provider lacks is dropped rather than refused: harnesses send their API's own fields
    // (Codex's `prompt_cache_key`, Claude Code's `context_management` …) to models of every provider.
    litellm_settings: { drop_params: true },
    general_settings: { master_key: `os.environ/${MASTER_KEY_ENV}` },
  });
  doc.commentBefore =
    ' Generated by Agent Desk from the providers table; edits are overwritten.\n' +
    ' Holds no secret: keys are read from the environment of the LiteLLM process only.';
  return { yaml: doc.toString({ lineWidth: 0 }), models, keyEnvVars };
}

/**
 * Writes `yaml` to `<dir>/<name>` with mode 0600 (directory 0700), atomically (temp file + rename).
 * @returns the file's path.
 * @throws Error from the file system (no space, permissions).
 */
export function writeLitellmConfig(dir: string, yaml: string, name = 'config.yaml'): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  const tmp = `${file}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, yaml, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return file;
}
