-- 0015: placeholder on branch i12-restv1 so that 0017 numbers
-- contiguously; the tokens helper's 0015_customer_users.sql replaces this
-- file on merge (take theirs).
SELECT 1;
