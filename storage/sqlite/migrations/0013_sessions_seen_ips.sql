-- 0013_sessions_seen_ips: reserved for issue 11 (placeholder until its branch lands).
SELECT 1;
