-- 0006: the sealed successor of a rotated refresh token (issue 10, item 11).
--
-- Refresh successors are random, so a request presenting the just-rotated
-- token within the grace window cannot recompute them: the rotation stores
-- them sealed (AES-256-GCM under the keyring, bound to this row's hash and
-- session) on the rotated token's row, with the end of the grace window.
-- RevokeSession and DeleteExpiredTokens (after successor_until) set both back
-- to NULL. Rows rotated before this migration have none.
ALTER TABLE refresh_tokens ADD COLUMN successor TEXT;
ALTER TABLE refresh_tokens ADD COLUMN successor_until INTEGER;
CREATE INDEX refresh_tokens_successor_until ON refresh_tokens (successor_until)
	WHERE successor_until IS NOT NULL;
