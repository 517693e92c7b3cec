// The trace event fields only a model call fills in.

/** `provider`, `model`, `duration_ms`, tokens and cost of a trace event that is not an `llm_call`: all `null`. */
export const NO_MODEL_CALL = {
  provider: null,
  model: null,
  duration_ms: null,
  tokens_in: null,
  tokens_out: null,
  cost_usd: null,
} as const;
