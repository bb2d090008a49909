-- 0011_passkeys: reserved for issue 11 (placeholder until its branch lands).
SELECT 1;
