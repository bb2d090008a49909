-- 0015: placeholder on branch i12-hookcore so that 0016 numbers
-- contiguously; the tokens helper's 0015_customer_users.sql replaces this
-- file on merge (take theirs).
SELECT 1;
