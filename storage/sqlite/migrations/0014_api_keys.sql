-- 0014: placeholder on branch i12-hookcore so that 0016 numbers
-- contiguously; the keys helper's 0014_api_keys.sql replaces this file on
-- merge (take theirs).
SELECT 1;
