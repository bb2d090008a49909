-- 0008: one-time tokens (issue 11): magic links, MFA tickets, passkey
-- ceremony state, invitations and password-reset codes
-- (storage.OneTimeStore).
--
-- A token is stored by a hash of its secret (id) or, for a short code, by
-- the account it belongs to (id) with a keyed hash of the code (code_hash);
-- the secret itself never is. data arrives sealed from the security layer.
-- Times are Unix milliseconds; consumed_at is NULL until the token is used
-- or revoked. Every state change is one conditional UPDATE.
CREATE TABLE onetime (
	purpose      TEXT NOT NULL,
	id           TEXT NOT NULL,
	org_id       TEXT NOT NULL,
	subject_id   TEXT NOT NULL,
	code_hash    BLOB,
	data         TEXT NOT NULL,
	attempts     INTEGER NOT NULL,
	max_attempts INTEGER NOT NULL,
	created_at   INTEGER,
	expires_at   INTEGER NOT NULL,
	consumed_at  INTEGER,
	PRIMARY KEY (purpose, id)
);
-- ListOneTime (pending invitations, newest first).
CREATE INDEX onetime_org_purpose_created ON onetime (org_id, purpose, created_at);
-- RevokeOneTimeForSubject (offboarding).
CREATE INDEX onetime_org_subject ON onetime (org_id, subject_id);
-- DeleteExpiredOneTime.
CREATE INDEX onetime_expires ON onetime (expires_at);
