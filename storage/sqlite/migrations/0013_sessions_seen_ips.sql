-- 0013: session monitoring and offboarding (issue 11).
--
-- agents.deactivated_at: set once by DeactivateAgent (Unix milliseconds),
-- NULL while the agent may sign in.
ALTER TABLE agents ADD COLUMN deactivated_at INTEGER;

-- signin_ips: the addresses each agent signed in from, for new-IP alerts
-- (storage.SignInIPStore). ip_hash is a keyed hash of the address (IPv6
-- reduced to its /64) computed by the security layer: the address itself
-- is never stored here. Times are Unix milliseconds; last_seen_at only
-- grows. Erasure of the agent deletes its rows.
CREATE TABLE signin_ips (
	org_id        TEXT NOT NULL,
	agent_id      TEXT NOT NULL,
	ip_hash       BLOB NOT NULL,
	first_seen_at INTEGER NOT NULL,
	last_seen_at  INTEGER NOT NULL,
	PRIMARY KEY (org_id, agent_id, ip_hash)
) WITHOUT ROWID;
