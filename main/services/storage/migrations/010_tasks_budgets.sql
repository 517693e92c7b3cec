-- 010: tasks (unattended runs of agents) with their run history; spend limits per agent; usage per day.
CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL,
  name TEXT NOT NULL,
  prompt TEXT NOT NULL,
  -- contract/tasks.ts TaskTrigger as JSON.
  trigger_json TEXT NOT NULL,
  -- SHA-256 (hex) of a webhook task's secret; NULL for other triggers.
  secret_hash TEXT,
  thread_id TEXT,
  overlap TEXT NOT NULL CHECK (overlap IN ('wait', 'skip')),
  missed TEXT NOT NULL CHECK (missed IN ('run_once', 'skip')),
  start_agent INTEGER NOT NULL DEFAULT 0,
  notify_success INTEGER NOT NULL DEFAULT 0,
  enabled INTEGER NOT NULL DEFAULT 1,
  -- When the schedule fires next (UTC ms); NULL for webhooks, finished one-shots and disabled tasks.
  next_run_at INTEGER,
  -- Anchor of interval triggers (UTC ms): runs fall on anchor + k × interval.
  anchor_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX tasks_agent ON tasks (agent_id);
CREATE INDEX tasks_due ON tasks (next_run_at) WHERE enabled = 1 AND next_run_at IS NOT NULL;

CREATE TABLE task_runs (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  agent_id TEXT NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'catch_up', 'manual', 'webhook')),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
  scheduled_for INTEGER,
  queued_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  duration_ms INTEGER,
  thread_id TEXT,
  trace_id TEXT,
  tokens_in INTEGER,
  tokens_out INTEGER,
  cost_usd REAL,
  answer TEXT,
  error TEXT,
  hint TEXT,
  error_code TEXT,
  -- A webhook's JSON body (≤ 64 KiB), given to the prompt as untrusted input.
  input TEXT
);
CREATE INDEX task_runs_task ON task_runs (task_id, queued_at);
CREATE INDEX task_runs_agent ON task_runs (agent_id, queued_at);
CREATE INDEX task_runs_open ON task_runs (status) WHERE status IN ('queued', 'running');

-- Spend limits of an agent; a NULL column takes the Settings default. Kept per agent, not per virtual
-- key: a key is minted anew at every restore and redeploy, a budget must not reset with it.
CREATE TABLE agent_limits (
  agent_id TEXT PRIMARY KEY,
  usd_day REAL,
  usd_month REAL,
  rpm INTEGER,
  updated_at INTEGER NOT NULL
);

-- Usage of the gateway's model calls per local day, agent and model (the model that answered), summed
-- from the same llm_call records the trace store keeps.
CREATE TABLE usage_daily (
  day TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  model TEXT NOT NULL,
  calls INTEGER NOT NULL DEFAULT 0,
  tokens_in INTEGER NOT NULL DEFAULT 0,
  tokens_out INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (day, agent_id, model)
);
CREATE INDEX usage_daily_agent ON usage_daily (agent_id, day);
