-- 0011: passkeys (issue 11): agents' WebAuthn credentials
-- (storage.PasskeyStore).
--
-- Nothing here is secret (the private key stays on the authenticator), so
-- no column is sealed. credential_id is unique across organisations: the
-- browser presents it, and it names the passkey's tenant. transports is a
-- JSON array of strings. Times are Unix milliseconds; last_used_at is NULL
-- until the first sign-in. sign_count only moves forward, in one
-- conditional UPDATE (RecordPasskeyUse).
CREATE TABLE passkeys (
	id              TEXT PRIMARY KEY,
	org_id          TEXT NOT NULL,
	agent_id        TEXT NOT NULL,
	credential_id   BLOB NOT NULL UNIQUE,
	name            TEXT NOT NULL,
	public_key      BLOB NOT NULL,
	sign_count      INTEGER NOT NULL,
	aaguid          BLOB,
	transports      TEXT NOT NULL,
	user_verified   INTEGER NOT NULL,
	backup_eligible INTEGER NOT NULL,
	backup_state    INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	last_used_at    INTEGER
);
-- ListPasskeys, DeleteAgentPasskeys, and the scoped rename and delete.
CREATE INDEX passkeys_org_agent ON passkeys (org_id, agent_id, created_at);
