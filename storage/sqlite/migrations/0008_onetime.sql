-- 0008_onetime: reserved for issue 11 (placeholder until its branch lands).
SELECT 1;
