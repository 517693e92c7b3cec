-- 012: the Incus cluster member an agent was placed on at create (`agents.create` with `member`); NULL = the
-- engine's member, else Incus places it.
ALTER TABLE agents ADD COLUMN member TEXT;
