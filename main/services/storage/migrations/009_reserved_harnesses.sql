-- 009: reserved for a migration merged from another branch (the numbers 007–009 were handed out together);
-- this placeholder only keeps the numbering without a gap here and is replaced by that migration when both
-- are merged.
SELECT 1;
