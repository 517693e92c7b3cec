-- 003: virtual keys of the gateway. Only the SHA-256 of a key is stored, with its first 8 random characters.
CREATE TABLE virtual_keys (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  models TEXT NOT NULL,
  budget_usd REAL,
  rpm INTEGER,
  spent_usd REAL NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX virtual_keys_owner ON virtual_keys (owner);
