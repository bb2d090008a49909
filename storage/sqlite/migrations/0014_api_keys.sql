-- 0014: placeholder of the tokens branch until i12-keys (which owns 0014)
-- is merged; the keys branch's file replaces it.
SELECT 1;
