// Shapes of the `llm` group: LiteLLM supervisor and gateway status, and the "Test model" action.
import { z } from 'zod';

/**
 * State of LiteLLM: `idle` not running because no provider has models; `missing` not installed (or the
 * configured command is not executable); `starting` first start, not ready yet; `ready` serving;
 * `restarting` crashed, coming back (requests get 503 meanwhile); `failed` crashed too often (5 times
 * in 5 minutes), no more restarts until the providers change or the app restarts; `stopped` on shutdown.
 */
export const LitellmState = z.enum([
  'idle',
  'missing',
  'starting',
  'ready',
  'restarting',
  'failed',
  'stopped',
]);
export type LitellmState = z.infer<typeof LitellmState>;

/** What the System view shows about LiteLLM and the gateway (`llm.status`, event `llm.status`). */
export const LlmStatus = z.object({
  litellm: z.object({
    state: LitellmState,
    /** One line for the user, e.g. "Starting LiteLLM (12 s of at most 90 s)". */
    detail: z.string(),
    /** True while a second LiteLLM with a new config starts beside the serving one (reload without downtime). */
    reloading: z.boolean(),
    pid: z.number().int().nullable(),
    /** Port on 127.0.0.1 of the current (or starting) LiteLLM. */
    port: z.number().int().nullable(),
    /** LiteLLM version of the venv, when known. */
    version: z.string().nullable(),
    /** The command run (path of `litellm`), `null` when none is found. */
    command: z.string().nullable(),
    /** UTC ms when the serving LiteLLM became ready; `null` when none is. */
    ready_at: z.number().int().nullable(),
    /** ms since `ready_at`. */
    uptime_ms: z.number().int().nullable(),
    /** Restarts after crashes since this LiteLLM was started. */
    restarts: z.number().int(),
    /** Crashes in the last 5 minutes. */
    recent_crashes: z.number().int(),
    /** UTC ms of the next restart attempt while `restarting`. */
    next_restart_at: z.number().int().nullable(),
    /** The last failure (crash, missed deadline, failed reload), one line; `null` when none. */
    last_error: z.string().nullable(),
    /** Last 50 lines LiteLLM wrote to stderr (secrets redacted), oldest first. */
    stderr_tail: z.array(z.string()),
    /** Models served, as agents name them (`<provider-id>/<model-id>`). */
    models: z.array(z.string()),
    /** Providers left out of the config and why (e.g. "openai: the key is missing"). */
    notes: z.array(z.string()),
    /** The rotating log of LiteLLM's output. */
    log_file: z.string(),
    /** The config file in use (holds no secret); `null` when LiteLLM is not running. */
    config_file: z.string().nullable(),
  }),
  gateway: z.object({
    /** `listening` ready for agents (it answers 503 while LiteLLM is not ready); `error` could not listen. */
    state: z.enum(['stopped', 'listening', 'error']),
    /** Base URL for OpenAI SDKs (`http://127.0.0.1:<port>/v1`), `null` when not listening. */
    url: z.string().nullable(),
    port: z.number().int().nullable(),
    /** Addresses listened on (127.0.0.1, container bridge gateways). */
    addresses: z.array(z.string()),
    /**
     * The base URL agents are given (their OPENAI_BASE_URL), per container runtime, as last written for
     * an agent of that runtime: Docker agents call the bridge's gateway address, Incus agents a proxy
     * device on 127.0.0.1 inside their container. Absent or empty until an agent's address is known.
     */
    agent_urls: z.array(z.object({ runtime: z.string(), url: z.string() })).optional(),
    /** Requests since start and in progress now. */
    requests: z.number().int(),
    inflight: z.number().int(),
    detail: z.string(),
    /** What the user can do about `error` (e.g. which process holds the gateway's port). */
    fix: z.string().optional(),
  }),
});
export type LlmStatus = z.infer<typeof LlmStatus>;

/** Input of `llm.testModel`. */
export const LlmTestInput = z
  .object({
    /** A served model (`<provider-id>/<model-id>`, see `llm.status` → `litellm.models`). */
    model: z.string().min(1),
    /** Default: "Reply with the single word OK." */
    prompt: z.string().min(1).max(2000).optional(),
  })
  .strict();
export type LlmTestInput = z.infer<typeof LlmTestInput>;

/** Outcome of `llm.testModel`; a failed test is an answer (`ok: false`), not an error. */
export const LlmTestResult = z.object({
  ok: z.boolean(),
  model: z.string(),
  /** The model's reply (first 2000 characters), `null` on failure. */
  reply: z.string().nullable(),
  /** Wall time of the call through LiteLLM, ms. */
  latency_ms: z.number().int(),
  /** HTTP status from LiteLLM, `null` when it was not reached. */
  http_status: z.number().int().nullable(),
  /** Why it failed, one line (never a key); `null` on success. */
  error: z.string().nullable(),
  tokens_in: z.number().int().nullable(),
  tokens_out: z.number().int().nullable(),
});
export type LlmTestResult = z.infer<typeof LlmTestResult>;
