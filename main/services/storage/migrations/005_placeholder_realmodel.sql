-- 005: placeholder on the realmodel branch only (005 is another branch's migration); dropped when merging.
SELECT 1;
