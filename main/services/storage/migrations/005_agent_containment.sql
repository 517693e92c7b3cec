-- 005: agent containment — how the core reaches the runtime, the pids limit, the shared folders.
-- The runtime's endpoint: `http://<address>:<port>` or `unix:<socket path>`; NULL while not running.
ALTER TABLE agents ADD COLUMN runtime_endpoint TEXT;
-- Most tasks (processes and threads) the agent's container may hold.
ALTER TABLE agents ADD COLUMN pids_limit INTEGER NOT NULL DEFAULT 512;
-- Host folders given to the agent: JSON array of {path, mode: "ro"|"rw", mount}.
ALTER TABLE agents ADD COLUMN folders TEXT NOT NULL DEFAULT '[]';
