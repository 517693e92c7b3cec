-- 009: the agents' "framework" is called "harness" everywhere now (contract, UI, CLI, docs). Renaming the
-- column keeps every value: agents recorded before this version keep their harness (builtin, openclaw).
ALTER TABLE agents RENAME COLUMN framework TO harness;
