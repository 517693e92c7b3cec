-- 011: named container engines beside the local ones (Docker over ssh:// or tcp+TLS, Incus over HTTPS), and
-- the engine each agent runs on. `target` is the engine's address as JSON without any PEM text: the TLS
-- certificates and the client key are files in the engine's folder of the data dir (0600 in a 0700 folder).
CREATE TABLE engines (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  transport TEXT NOT NULL,
  target TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
-- Every agent recorded before this version runs on the engine of this machine.
ALTER TABLE agents ADD COLUMN engine TEXT NOT NULL DEFAULT 'local';
