-- 0005: reserved for another branch of issue 10, whose 0005 replaces this
-- file when the branches are merged (delete this file then). It exists only
-- so that 0006 applies in order on this branch.
SELECT 1;
