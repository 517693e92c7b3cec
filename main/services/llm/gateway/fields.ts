// Which request body fields the gateway forwards to LiteLLM: an allow-list per endpoint (public OpenAI and Anthropic schemas).
import { gatewayErrors } from './errors';
import type { GatewayError } from './errors';

/**
 * Sampling and output fields of OpenAI Chat Completions (platform.openai.com/docs/api-reference/chat/create),
 * plus `thinking` and `top_k`, which LiteLLM maps to Anthropic, Gemini, Ollama and vLLM models.
 */
const CHAT = [
  'model',
  'messages',
  'audio',
  'frequency_penalty',
  'function_call',
  'functions',
  'logit_bias',
  'logprobs',
  'max_completion_tokens',
  'max_tokens',
  'metadata',
  'modalities',
  'n',
  'parallel_tool_calls',
  'prediction',
  'presence_penalty',
  'prompt_cache_key',
  'prompt_cache_retention',
  'reasoning_effort',
  'response_format',
  'safety_identifier',
  'seed',
  'service_tier',
  'stop',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'user',
  'verbosity',
  'web_search_options',
  'thinking',
  'top_k',
];

/** OpenAI legacy Completions (api-reference/completions/create). */
const COMPLETIONS = [
  'model',
  'prompt',
  'best_of',
  'echo',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'max_tokens',
  'n',
  'presence_penalty',
  'seed',
  'stop',
  'stream',
  'stream_options',
  'suffix',
  'temperature',
  'top_p',
  'user',
];

/** OpenAI Embeddings (api-reference/embeddings/create). */
const EMBEDDINGS = ['model', 'input', 'dimensions', 'encoding_format', 'user'];

/** OpenAI Responses (api-reference/responses/create). */
const RESPONSES = [
  'model',
  'input',
  'background',
  'conversation',
  'include',
  'instructions',
  'max_output_tokens',
  'max_tool_calls',
  'metadata',
  'parallel_tool_calls',
  'previous_response_id',
  'prompt',
  'prompt_cache_key',
  'prompt_cache_retention',
  'reasoning',
  'safety_identifier',
  'service_tier',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'text',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'truncation',
  'user',
];

/**
 * Anthropic Messages (docs.anthropic.com/en/api/messages) as Claude Code and the Anthropic SDKs send it,
 * matching LiteLLM 1.106.2's `AnthropicMessagesRequestOptionalParams` minus its own additions
 * (`reasoning_effort`, `safeguards`, `litellm_metadata`).
 */
const MESSAGES = [
  'model',
  'messages',
  'max_tokens',
  'metadata',
  'stop_sequences',
  'stream',
  'system',
  'temperature',
  'thinking',
  'tool_choice',
  'tools',
  'top_k',
  'top_p',
  'service_tier',
  'container',
  'context_management',
  'mcp_servers',
  'inference_geo',
  'output_format',
  'output_config',
  'speed',
  'cache_control',
];

/** Top-level fields forwarded, per POST path. Anything else is dropped or refused (see {@link screenBody}). */
export const ALLOWED_FIELDS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['/v1/chat/completions', new Set(CHAT)],
  ['/v1/completions', new Set(COMPLETIONS)],
  ['/v1/embeddings', new Set(EMBEDDINGS)],
  ['/v1/responses', new Set(RESPONSES)],
  ['/v1/messages', new Set(MESSAGES)],
]);

/**
 * Fields LiteLLM 1.106.2 reads as instructions to itself rather than to the model — pick another model
 * (`fallbacks`, `context_window_fallbacks`, `content_policy_fallbacks`, `router_settings_override`,
 * `user_config`, `model_list`), another destination or credentials (`api_base`, `base_url`, `api_key`…,
 * `extra_body`/`extra_headers`, which it spreads into the provider call), fake answers (`mock_*`),
 * retries and timeouts, prices (`input_cost_per_token`…), callbacks, caching, guardrails, prompt
 * templates. Read in its source: proxy/route_llm_request.py, router.py, types/utils.py
 * (`all_litellm_params`), proxy/auth/auth_utils.py. A request naming one is refused (400) rather than
 * silently changed: the caller asked for a behaviour it will not get. This list is for the clear error
 * only; safety comes from the allow-list (a name missing here is still never forwarded).
 */
const REFUSED = new Set([
  'fallbacks',
  'context_window_fallbacks',
  'content_policy_fallbacks',
  'max_fallbacks',
  'disable_fallbacks',
  'router_settings_override',
  'user_config',
  'model_list',
  'fastest_response',
  'api_key',
  'api_base',
  'base_url',
  'api_version',
  'custom_llm_provider',
  'deployment_id',
  'extra_body',
  'extra_headers',
  'extra_query',
  'headers',
  'num_retries',
  'max_retries',
  'retry_policy',
  'retry_strategy',
  'timeout',
  'stream_timeout',
  'request_timeout',
  'cache',
  'caching',
  'no-log',
  'tags',
  'guardrails',
  'prompt_id',
  'prompt_variables',
  'prompt_version',
  'base_model',
  'model_info',
  'secret_fields',
  'proxy_server_request',
  'shared_session',
  'enable_tag_filtering',
]);
/** Prefixes of LiteLLM control fields (mocks, its own params, per-request prices, cloud credentials, callbacks). */
const REFUSED_PREFIXES = [
  'litellm',
  'mock_',
  'input_cost_per',
  'output_cost_per',
  'cache_creation_input',
  'cache_read_input',
  'aws_',
  'vertex_',
  'azure_',
  'langfuse_',
  'langsmith_',
];

function refused(field: string): boolean {
  if (REFUSED.has(field)) return true;
  for (const p of REFUSED_PREFIXES) if (field.startsWith(p)) return true;
  return false;
}

/** Longest `model` accepted, in characters. */
export const MODEL_MAX_LENGTH = 256;

/**
 * Why `model` cannot be forwarded, or `null`. A comma is refused: LiteLLM turns `a,b` into a batch
 * call of several models (route_llm_request.py, "batch completions with comma-separated models").
 * Whitespace and control characters are refused too (no served name has them).
 */
export function modelProblem(model: string): string | null {
  if (model.length > MODEL_MAX_LENGTH)
    return `"model" is longer than ${MODEL_MAX_LENGTH} characters; name one served model.`;
  // eslint-disable-next-line no-control-regex
  if (/[,\s\u0000-\u001f\u007f]/.test(model))
    return `"model" must name one model: no ",", spaces or control characters (LiteLLM reads "a,b" as several models).`;
  return null;
}

/** What {@link screenBody} decided. */
export type Screened =
  { ok: true; modified: boolean; dropped: string[] | null } | { ok: false; error: GatewayError };

/**
 * Applies the allow-list of `path` to a parsed request body, in place, in one pass over its keys
 * (no copy unless something is removed):
 * - a field in the allow-list stays; `metadata` keeps only a string `user_id` (the one key Anthropic
 *   defines and the only one LiteLLM passes to a provider; LiteLLM reads every other key as its own
 *   logging and routing metadata) — it must be an object;
 * - a known LiteLLM control field (see REFUSED above) → 400 naming it and the allowed fields;
 * - any other field is dropped and reported in `dropped` (SDKs add fields over time; refusing them
 *   would break a new SDK, while dropping one only loses that option — and the gateway says so in the
 *   `x-agentdesk-dropped-fields` response header and its log).
 * @returns `ok: false` with the 400 to answer, else whether the body changed and what was dropped.
 */
export function screenBody(path: string, body: Record<string, unknown>): Screened {
  const allowed = ALLOWED_FIELDS.get(path);
  if (!allowed) return { ok: true, modified: false, dropped: null };
  let dropped: string[] | null = null;
  let modified = false;
  for (const field in body) {
    if (allowed.has(field)) continue;
    if (refused(field))
      return {
        ok: false,
        error: gatewayErrors.fieldRefused(field, path, [...allowed]),
      };
    (dropped ??= []).push(field);
    delete body[field];
    modified = true;
  }
  if ('metadata' in body) {
    const m = body.metadata;
    if (m !== null && (typeof m !== 'object' || Array.isArray(m)))
      return { ok: false, error: gatewayErrors.badBody('"metadata" must be an object.') };
    const meta = m as Record<string, unknown> | null;
    const userId = meta?.user_id;
    const others = meta ? Object.keys(meta).filter((k) => k !== 'user_id') : [];
    if (others.length || typeof userId !== 'string') {
      for (const k of others) (dropped ??= []).push(`metadata.${k}`);
      if (typeof userId === 'string') body.metadata = { user_id: userId };
      else delete body.metadata;
      modified = true;
    }
  }
  return { ok: true, modified, dropped };
}
