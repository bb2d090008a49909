-- 0010_mfa: reserved for issue 11 (placeholder until its branch lands).
SELECT 1;
