-- 0010: second factors (issue 11, storage.MFAStore): one row per agent with
-- its TOTP secrets (pending enrolment and enabled, both sealed by the
-- security layer), the last accepted time step and the second-factor
-- failure counter; and the agent's backup codes, stored as keyed hashes
-- only. Times are Unix milliseconds. Every change is one conditional
-- UPDATE (or one transaction).
CREATE TABLE mfa (
	org_id          TEXT NOT NULL,
	agent_id        TEXT NOT NULL,
	pending_id      TEXT NOT NULL DEFAULT '',
	pending_secret  TEXT NOT NULL DEFAULT '',
	pending_at      INTEGER,
	secret          TEXT NOT NULL DEFAULT '',
	enabled_at      INTEGER,
	last_step       INTEGER NOT NULL DEFAULT 0,
	failures        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER,
	PRIMARY KEY (org_id, agent_id)
);
CREATE TABLE mfa_backup_codes (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL,
	agent_id   TEXT NOT NULL,
	code_hash  BLOB NOT NULL,
	created_at INTEGER,
	used_at    INTEGER
);
-- ListBackupCodes, ReplaceBackupCodes, erasure.
CREATE INDEX mfa_backup_codes_agent ON mfa_backup_codes (org_id, agent_id);
