-- 0007: an agent's email is unique within its organisation, not across
-- organisations (issue 10, item 6).
--
-- 0001 declared agents.email UNIQUE inline, so one tenant creating an agent
-- learned whether an email was registered with another. SQLite cannot drop
-- a column constraint, so the table is rebuilt (keeping each rowid: agents
-- created in the same millisecond keep their order) with a unique index on
-- (email, org_id) instead; leading with email it also serves sign-in
-- (ListAgentsByEmail). No table references agents, and no trigger or view
-- names it.
CREATE TABLE agents_0007 (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES organizations (id),
	name          TEXT NOT NULL,
	email         TEXT NOT NULL, -- lower-cased by the store
	role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
	password_hash TEXT NOT NULL,
	created_at    INTEGER,
	deleted_at    INTEGER
);
INSERT INTO agents_0007 (rowid, id, org_id, name, email, role, password_hash, created_at, deleted_at)
	SELECT rowid, id, org_id, name, email, role, password_hash, created_at, deleted_at FROM agents;
DROP TABLE agents;
ALTER TABLE agents_0007 RENAME TO agents;
CREATE INDEX agents_org ON agents (org_id, created_at);
CREATE UNIQUE INDEX agents_email_org ON agents (email, org_id);
