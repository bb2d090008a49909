-- 0016: placeholder on branch i12-restv1 so that 0017 numbers
-- contiguously; the hookcore helper's 0016_webhooks.sql replaces this
-- file on merge (take theirs).
SELECT 1;
