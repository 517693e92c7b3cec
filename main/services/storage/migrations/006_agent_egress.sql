-- 006: the egress policy of each agent (docs/decisions/009-egress.md). One row per agent, made at create;
-- agents older than this migration get the default `none` (gateway only) on their next deploy or start.
CREATE TABLE agent_egress (
  agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
  -- none | allowlist | open
  mode TEXT NOT NULL DEFAULT 'none',
  -- JSON array of normalised entries (HOST[:PORT]), kept when the mode is not allowlist.
  allow TEXT NOT NULL DEFAULT '[]',
  -- IPv4 address of the agent on its engine's network (Docker bridge or Incus routed NIC); NULL until deployed.
  address TEXT,
  updated_at INTEGER NOT NULL
);
INSERT INTO agent_egress (agent_id, mode, allow, address, updated_at)
  SELECT id, 'none', '[]', NULL, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM agents;
