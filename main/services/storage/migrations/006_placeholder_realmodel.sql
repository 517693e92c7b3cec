-- 006: placeholder on the realmodel branch only (006 is another branch's migration); dropped when merging.
SELECT 1;
