-- 0014: secret API keys and publishable-key rotation (issue 12).
--
-- api_keys: storage.APIKeyStore. secret_hash is the keyed hash of the key
-- (security layer), unique across organisations: the bearer lookup is one
-- read of its index. secret is the key sealed by the security layer.
-- scopes is a JSON array of strings. Times are Unix milliseconds; NULL
-- expires_at means never, NULL revoked_at not revoked, NULL last_used_at
-- never used. replaced_by is set once, by the rotation that replaced the
-- key (a conditional UPDATE).
CREATE TABLE api_keys (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL,
	owner_id     TEXT NOT NULL,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	mode         TEXT NOT NULL,
	scopes       TEXT NOT NULL,
	secret_hash  BLOB NOT NULL UNIQUE,
	secret       TEXT NOT NULL,
	rpm          INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER,
	revoked_at   INTEGER,
	last_used_at INTEGER,
	last_used_ip TEXT NOT NULL DEFAULT '',
	rotated_from TEXT NOT NULL DEFAULT '',
	replaced_by  TEXT
);
-- ListAPIKeys (newest first) and every scoped read.
CREATE INDEX api_keys_org_created ON api_keys (org_id, created_at);

-- widgets: the publishable key a rotation replaced, accepted until
-- previous_key_until (checked by the API). NULL when never rotated; unique
-- like publishable_key, as GetWidgetByKey matches either.
ALTER TABLE widgets ADD COLUMN previous_key TEXT;
ALTER TABLE widgets ADD COLUMN previous_key_until INTEGER;
CREATE UNIQUE INDEX widgets_previous_key ON widgets (previous_key);
