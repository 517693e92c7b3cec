-- 002: providers and their cached models. No key material here: key_ref names a keychain account.
CREATE TABLE providers (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  base_url TEXT NOT NULL,
  key_ref TEXT,
  status TEXT NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'ok', 'error')),
  status_detail TEXT NOT NULL DEFAULT '',
  checked_at INTEGER,
  models_fetched_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX providers_name_unique ON providers (name COLLATE NOCASE);

CREATE TABLE provider_models (
  provider_id TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  label TEXT,
  position INTEGER NOT NULL,
  fetched_at INTEGER NOT NULL,
  PRIMARY KEY (provider_id, model_id)
);
