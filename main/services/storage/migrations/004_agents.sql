-- 004: agents and their phase transitions. A phase is written here before it is acted on (ARCHITECTURE §5).
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL,
  name TEXT NOT NULL,
  emoji TEXT NOT NULL,
  framework TEXT NOT NULL,
  runtime TEXT NOT NULL,
  model TEXT NOT NULL,
  fallbacks TEXT NOT NULL DEFAULT '[]',
  memory_mib INTEGER NOT NULL,
  cpus REAL NOT NULL,
  phase TEXT NOT NULL,
  phase_reason TEXT,
  phase_at INTEGER NOT NULL,
  failed_log TEXT NOT NULL DEFAULT '[]',
  container TEXT NOT NULL,
  runtime_port INTEGER,
  key_id TEXT,
  created_at INTEGER NOT NULL,
  running_since INTEGER,
  -- While archived: the folder under <data>/archive/ holding its home and trace.
  archive_dir TEXT
);
-- Slugs are unique among agents that are not archived (an archived agent keeps its slug for restore).
CREATE UNIQUE INDEX agents_live_slug ON agents (slug) WHERE phase <> 'archived';

CREATE TABLE agent_transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  agent_id TEXT NOT NULL,
  from_phase TEXT,
  to_phase TEXT NOT NULL,
  reason TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX agent_transitions_agent ON agent_transitions (agent_id, seq);
