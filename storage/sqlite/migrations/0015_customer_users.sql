-- 0015: customer users (chat tokens, issue 12).
--
-- One row per user of a customer's own system, named by its external id.
-- external_id, name and email hold sealed envelopes (the security layer
-- seals them); external_index is the keyed hash of (org, external id) used
-- for lookups, unique per organisation, NULL once erased. token_version
-- starts at 1 and only grows (invalidation). visitor_id is '' until the
-- first token is used. Times are Unix milliseconds.
CREATE TABLE customer_users (
	id             TEXT PRIMARY KEY,
	org_id         TEXT NOT NULL REFERENCES organizations (id),
	external_id    TEXT NOT NULL,
	external_index BLOB,
	name           TEXT NOT NULL,
	email          TEXT NOT NULL,
	visitor_id     TEXT NOT NULL DEFAULT '',
	token_version  INTEGER NOT NULL DEFAULT 1,
	created_at     INTEGER,
	last_seen_at   INTEGER,
	deleted_at     INTEGER
);
CREATE UNIQUE INDEX customer_users_org_index ON customer_users (org_id, external_index);
CREATE INDEX customer_users_org_created ON customer_users (org_id, created_at DESC, id DESC);
CREATE INDEX customer_users_org_visitor ON customer_users (org_id, visitor_id);
