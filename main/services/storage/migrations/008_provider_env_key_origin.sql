-- 008: the origin (scheme://host:port) AGENTDESK_KEY_<ID> was given for. The core sends that variable
-- only to a base URL of this origin; a base URL moved elsewhere leaves it behind, across restarts,
-- until the user accepts it for the new host (providers.edit accept_env_key). NULL on rows from before
-- this migration: the current origin, until the first move records the one it leaves.
ALTER TABLE providers ADD COLUMN env_key_origin TEXT;
