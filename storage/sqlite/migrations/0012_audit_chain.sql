-- 0012_audit_chain: reserved for issue 11 (placeholder until its branch lands).
SELECT 1;
