-- 005: reserved for the containment-core migration (runtime credentials, shared folders), merged from its
-- own branch; this placeholder only keeps the numbering without a gap on the egress branch and is
-- replaced by that migration when both are merged.
SELECT 1;
