// Providers: the catalog, configured providers, their models, probes and discovery.
import { z } from 'zod';

// ─── Providers ────────────────────────────────────────────────────────────────────────────────────

/** How a provider's key is sent: `Authorization: Bearer`, `x-api-key` (Anthropic), `x-goog-api-key` (Gemini), or not at all. */
export const ProviderAuthStyle = z.enum(['bearer', 'x-api-key', 'x-goog-api-key', 'none']);
export type ProviderAuthStyle = z.infer<typeof ProviderAuthStyle>;

/**
 * How a provider lists its models: `openai` = `GET {base}/models` → `{data:[{id}]}` (or a bare array);
 * `anthropic` = `GET {base}/v1/models` with `anthropic-version`; `gemini` = `GET {base}/models` →
 * `{models:[{name:"models/…"}]}`; `ollama` = `GET {base}/api/tags` → `{models:[{name}]}`.
 */
export const ModelListStyle = z.enum(['openai', 'anthropic', 'gemini', 'ollama']);
export type ModelListStyle = z.infer<typeof ModelListStyle>;

/** Whether a provider type needs a key: `required` (cloud), `optional` (local servers started with --api-key, any URL), `none` (Ollama). */
export const KeyPolicy = z.enum(['required', 'optional', 'none']);
export type KeyPolicy = z.infer<typeof KeyPolicy>;

/** One entry of the provider catalog (what the "Add provider" picker offers). */
export const CatalogEntry = z.object({
  /** The provider type, e.g. `openai`, `ollama`, `openai-compatible`. */
  type: z.string(),
  label: z.string(),
  /** `cloud` hosted API, `local` server on this machine, `custom` any OpenAI-compatible URL. */
  kind: z.enum(['cloud', 'local', 'custom']),
  /** Canonical base URL; empty for `openai-compatible` (the user must give one). */
  base_url: z.string(),
  /** LiteLLM model prefix, e.g. `openai/`, `anthropic/`, `ollama_chat/`. */
  litellm_prefix: z.string(),
  auth: ProviderAuthStyle,
  key: KeyPolicy,
  models: ModelListStyle,
  /** Environment variables that usually hold this provider's key, the usual one first (may be empty). */
  env_vars: z.array(z.string()),
  /** The usual port of a local server (`null` for cloud and custom). */
  default_port: z.number().int().nullable(),
  /** Where to get a key or read about the API. */
  docs_url: z.string(),
});
export type CatalogEntry = z.infer<typeof CatalogEntry>;

/**
 * Where a provider's key is, as the UI may see it (never the key itself):
 * `set` in the OS keychain; `env` from the core's environment for this run (`env_var` names it);
 * `missing` a key is required but there is none; `not_needed` keyless; `unavailable` stored in the
 * keychain, which cannot be read now (locked or no Secret Service; `detail` says which).
 */
export const ProviderKeyInfo = z.object({
  state: z.enum(['set', 'env', 'missing', 'not_needed', 'unavailable']),
  /** Last 4 characters of the key (computed in memory from the keychain or env value); `null` when none or the key is shorter than 12. */
  last4: z.string().nullable(),
  /** For `env`: the variable the key came from. For `missing`/`unavailable`: the variable the core would read (`AGENTDESK_KEY_<ID>`). */
  env_var: z.string().optional(),
  /**
   * Why the key could not be read (`unavailable`), or why `AGENTDESK_KEY_<ID>` is set but not used
   * (`missing`/`not_needed`: it was given for the host the provider had before its base URL moved).
   */
  detail: z.string().optional(),
});
export type ProviderKeyInfo = z.infer<typeof ProviderKeyInfo>;

/**
 * Result of the last test of a provider: `unknown` never tested (or changed since); `unreachable` the
 * test could not reach it (offline, DNS, refused, timeout): one status, not an error per call.
 */
export const ProviderStatus = z.enum(['unknown', 'ok', 'error', 'unreachable']);
export type ProviderStatus = z.infer<typeof ProviderStatus>;

/** A configured provider. */
export const Provider = z.object({
  /** Stable slug (`[a-z0-9-]`, ≤ 40), chosen at creation; keychain account `provider:<id>`, env `AGENTDESK_KEY_<ID>`. */
  id: z.string(),
  /** Catalog type (see `providers.catalog`). */
  type: z.string(),
  /** Label of the type, e.g. "OpenAI". */
  type_label: z.string(),
  kind: CatalogEntry.shape.kind,
  /** Display name, unique (case-insensitive). */
  name: z.string(),
  base_url: z.string(),
  key: ProviderKeyInfo,
  status: ProviderStatus,
  /** Message of the last test ("12 models", "401 Unauthorized: the key was refused", …); empty when unknown. */
  status_detail: z.string(),
  /** UTC ms of the last test; `null` when never tested. */
  checked_at: z.number().int().nullable(),
  /** Number of cached models. */
  model_count: z.number().int(),
  /** UTC ms when the model list was last fetched; `null` when never. */
  models_fetched_at: z.number().int().nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type Provider = z.infer<typeof Provider>;

/** Payload of the `providers.changed` event: every provider, as `providers.list` answers. */
export const ProvidersChanged = z.object({ providers: z.array(Provider) });
export type ProvidersChanged = z.infer<typeof ProvidersChanged>;

/** One model a provider serves. */
export const ProviderModel = z.object({
  /** The provider's own model id, e.g. `gpt-4o-mini`, `llama3.2:3b`. */
  id: z.string(),
  /** Human name when the provider gives one (Anthropic `display_name`, Gemini `displayName`). */
  label: z.string().nullable(),
  /** The model as LiteLLM names it: catalog prefix + id, e.g. `openai/gpt-4o-mini`. */
  litellm_model: z.string(),
});
export type ProviderModel = z.infer<typeof ProviderModel>;

/** The cached model list of one provider. */
export const ProviderModels = z.object({
  provider_id: z.string(),
  /** UTC ms of the fetch; `null` when never fetched. */
  fetched_at: z.number().int().nullable(),
  models: z.array(ProviderModel),
});
export type ProviderModels = z.infer<typeof ProviderModels>;

/**
 * Outcome of probing a model listing. `kind` classifies failures so the UI can badge them:
 * `unauthorized` 401, `forbidden` 403, `not_found` 404, `timeout`, `dns` (host not found),
 * `refused` (nothing listening), `tls` (certificate/handshake), `http_error` other status,
 * `bad_response` not a model list, `network` other transport errors, `no_key` a key is required but
 * none can be read (missing, or the keychain is unavailable; nothing was sent).
 */
export const ProbeOutcome = z.object({
  ok: z.boolean(),
  kind: z.enum([
    'ok',
    'unauthorized',
    'forbidden',
    'not_found',
    'timeout',
    'dns',
    'refused',
    'tls',
    'http_error',
    'bad_response',
    'network',
    'no_key',
  ]),
  /** One line for the user: what happened and what to do. */
  message: z.string(),
  /** The URL probed (never carries the key: keys go in headers). */
  url: z.string(),
  http_status: z.number().int().nullable(),
  latency_ms: z.number().int(),
  /** Models found when `ok`. */
  model_count: z.number().int().nullable(),
});
export type ProbeOutcome = z.infer<typeof ProbeOutcome>;

/** `providers.test` answer: the probe and the provider with its updated status. */
export const ProviderTestResult = z.object({ provider: Provider, probe: ProbeOutcome });
export type ProviderTestResult = z.infer<typeof ProviderTestResult>;

/** A local model server answering on its usual port. */
export const DiscoveredServer = z.object({
  type: z.string(),
  label: z.string(),
  base_url: z.string(),
  model_count: z.number().int(),
  /** Up to 20 model ids, for the card. */
  models: z.array(z.string()),
  latency_ms: z.number().int(),
  /** Id of an existing provider with this type and base URL; `null` when not added yet. */
  added_as: z.string().nullable(),
});
export type DiscoveredServer = z.infer<typeof DiscoveredServer>;

/** A provider key found in the core's environment (the key itself never leaves the core). */
export const DiscoveredKey = z.object({
  type: z.string(),
  label: z.string(),
  /** The variable that holds it, e.g. `OPENAI_API_KEY`. */
  env_var: z.string(),
  last4: z.string().nullable(),
  /** Id of an existing provider of this type; `null` when none. */
  added_as: z.string().nullable(),
});
export type DiscoveredKey = z.infer<typeof DiscoveredKey>;

/** What `providers.discover` found. Nothing is saved until the user accepts a card (`providers.add`). */
export const Discovery = z.object({
  servers: z.array(DiscoveredServer),
  keys: z.array(DiscoveredKey),
  /** Every URL that was probed, found or not. */
  probed: z.array(z.string()),
  duration_ms: z.number().int(),
  /** UTC ms. */
  scanned_at: z.number().int(),
});
export type Discovery = z.infer<typeof Discovery>;

/**
 * Whether this machine has a route to the internet (`providers.network`), read from the routing table
 * (nothing is sent), and the cloud providers that could not be reached.
 */
export const NetworkStatus = z.object({
  /** False when there is no default route: only local model servers can answer. */
  online: z.boolean(),
  /** One line for the user, e.g. "default route via eth0". */
  detail: z.string(),
  /** Ids of providers whose last test could not reach them (status `unreachable`). */
  unreachable: z.array(z.string()),
  /** UTC ms. */
  checked_at: z.number().int(),
});
export type NetworkStatus = z.infer<typeof NetworkStatus>;

/** A provider id (slug). */
export const ProviderId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1–40 characters: lowercase letters, digits and dashes');

/** A key as pasted: surrounding whitespace is trimmed; inner whitespace or control characters are refused. */
export const ProviderKeyInput = z
  .string()
  .trim()
  .min(1, 'the key is empty')
  .max(4096, 'the key is longer than 4096 characters')
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\s\u0000-\u001f\u007f]+$/, 'the key contains spaces or control characters');

/** Input of `providers.add`. */
export const ProviderAddInput = z
  .object({
    /** Catalog type; an unknown one is refused with the list of valid types. */
    type: z.string().min(1),
    /** Display name; default: the type's label (e.g. "OpenAI"). */
    name: z.string().trim().min(1).max(64).optional(),
    /** Slug; default: derived from the name. */
    id: ProviderId.optional(),
    /** Default: the catalog's base URL (required for `openai-compatible`). http(s) only. */
    base_url: z.string().trim().optional(),
    /** The API key: stored in the OS keychain only, never returned. */
    key: ProviderKeyInput.optional(),
    /** Import the key from this variable of the core's environment (one of the catalog's `env_vars`). */
    key_from_env: z.string().optional(),
    /** Probe the models right after saving (default true); the outcome is in the provider's status. */
    probe: z.boolean().optional(),
  })
  .strict();
export type ProviderAddInput = z.infer<typeof ProviderAddInput>;

/** Input of `providers.edit`: only the fields given change. */
export const ProviderEditInput = z
  .object({
    id: ProviderId,
    name: z.string().trim().min(1).max(64).optional(),
    base_url: z.string().trim().optional(),
    /** A new key (replaces the stored one); `null` deletes the stored key. */
    key: ProviderKeyInput.nullable().optional(),
    key_from_env: z.string().optional(),
    /**
     * Send `AGENTDESK_KEY_<ID>` (set in the core's environment) to the provider's current host. The
     * variable belongs to the host the provider was added for; after a move to another host it is not
     * used there (across restarts) until accepted this way. INVALID_INPUT when the variable is not set.
     */
    accept_env_key: z.literal(true).optional(),
    probe: z.boolean().optional(),
  })
  .strict();
export type ProviderEditInput = z.infer<typeof ProviderEditInput>;

/** `providers.edit` answer: the provider, and whether this edit removed its key. */
export const ProviderEdited = Provider.extend({
  /**
   * Why the edit removed the provider's key, with what to do; `null` when it did not. A key belongs to
   * the origin (scheme, host, port) it was given for: a base URL moved to another origin without a new
   * key loses the stored key, and `AGENTDESK_KEY_<ID>` stays with the former host (see `accept_env_key`).
   */
  key_removed: z.string().nullable(),
});
export type ProviderEdited = z.infer<typeof ProviderEdited>;

/** `providers.remove` answer. */
export const ProviderRemoved = z.object({
  id: z.string(),
  /** True when a keychain entry was deleted with it. */
  key_deleted: z.boolean(),
});
export type ProviderRemoved = z.infer<typeof ProviderRemoved>;
