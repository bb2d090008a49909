-- 0014: placeholder on branch i12-restv1 so that 0017 numbers
-- contiguously; the keys helper's 0014_api_keys.sql replaces this
-- file on merge (take theirs).
SELECT 1;
