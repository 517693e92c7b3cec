-- 007: per-agent instructions and sampling: system prompt, temperature, whether tools are offered.
-- A row exists only for agents that set something; no row = the built-in prompt, the model's temperature, tools on.
CREATE TABLE agent_instructions (
  agent_id TEXT PRIMARY KEY,
  -- NULL = the runtime's built-in system prompt.
  system_prompt TEXT,
  -- NULL = the model's default (not sent).
  temperature REAL,
  tools INTEGER NOT NULL DEFAULT 1
);
