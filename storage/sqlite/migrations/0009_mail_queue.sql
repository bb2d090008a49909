-- 0009_mail_queue: reserved for issue 11 (placeholder until its branch lands).
SELECT 1;
