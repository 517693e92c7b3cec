-- 007: reserved for the agent-instructions migration (007_agent_instructions.sql), merged from its own
-- branch; this placeholder only keeps the numbering without a gap here and is replaced by that
-- migration when both are merged.
SELECT 1;
