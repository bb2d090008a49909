-- 0001: the initial schema.
--
-- Times are Unix milliseconds (INTEGER, NULL for the zero time). Token hashes
-- are BLOBs. Every tenant-owned table carries org_id and every query filters
-- on it; indexes lead with org_id accordingly.

CREATE TABLE organizations (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at INTEGER
);

CREATE TABLE agents (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES organizations (id),
	name          TEXT NOT NULL,
	email         TEXT NOT NULL UNIQUE, -- lower-cased by the store
	role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'agent')),
	password_hash TEXT NOT NULL,
	created_at    INTEGER
);
CREATE INDEX agents_org ON agents (org_id, created_at);

CREATE TABLE widgets (
	id              TEXT PRIMARY KEY,
	org_id          TEXT NOT NULL REFERENCES organizations (id),
	name            TEXT NOT NULL,
	publishable_key TEXT NOT NULL UNIQUE,
	allowed_origins TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
	created_at      INTEGER
);
CREATE INDEX widgets_org ON widgets (org_id, created_at);

CREATE TABLE visitors (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL REFERENCES organizations (id),
	widget_id    TEXT NOT NULL,
	name         TEXT NOT NULL,
	email        TEXT NOT NULL,
	phone        TEXT NOT NULL,
	created_at   INTEGER,
	last_seen_at INTEGER
);
CREATE INDEX visitors_org ON visitors (org_id);

CREATE TABLE conversations (
	id               TEXT PRIMARY KEY,
	org_id           TEXT NOT NULL REFERENCES organizations (id),
	visitor_id       TEXT NOT NULL,
	widget_id        TEXT NOT NULL,
	assignee_id      TEXT NOT NULL DEFAULT '', -- '' while unassigned
	status           TEXT NOT NULL CHECK (status IN ('open', 'closed')),
	last_seq         INTEGER NOT NULL DEFAULT 0,
	visitor_read_seq INTEGER NOT NULL DEFAULT 0,
	agent_read_seq   INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER,
	updated_at       INTEGER,
	closed_at        INTEGER
);
CREATE INDEX conversations_org_updated ON conversations (org_id, updated_at DESC, id DESC);
CREATE INDEX conversations_org_status ON conversations (org_id, status, updated_at DESC, id DESC);
CREATE INDEX conversations_org_assignee ON conversations (org_id, assignee_id, updated_at DESC, id DESC);
CREATE INDEX conversations_org_visitor ON conversations (org_id, visitor_id, updated_at DESC, id DESC);

-- rid is the stable integer key the full-text index points at.
CREATE TABLE messages (
	rid             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	org_id          TEXT NOT NULL,
	conversation_id TEXT NOT NULL REFERENCES conversations (id),
	seq             INTEGER NOT NULL,
	client_id       TEXT, -- NULL when the sender gave none (never deduplicated)
	sender_kind     TEXT NOT NULL CHECK (sender_kind IN ('visitor', 'agent', 'system')),
	sender_id       TEXT NOT NULL,
	text            TEXT NOT NULL,
	created_at      INTEGER
);
CREATE UNIQUE INDEX messages_conversation_seq ON messages (conversation_id, seq);
CREATE UNIQUE INDEX messages_conversation_client ON messages (conversation_id, client_id);
CREATE INDEX messages_org_created ON messages (org_id, created_at);

-- External-content full-text index over messages.text, kept in step by
-- triggers.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
	text,
	content = 'messages',
	content_rowid = 'rid',
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts (rowid, text) VALUES (new.rid, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rid, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rid, old.text);
	INSERT INTO messages_fts (rowid, text) VALUES (new.rid, new.text);
END;

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL,
	subject_kind TEXT NOT NULL CHECK (subject_kind IN ('agent', 'visitor')),
	subject_id   TEXT NOT NULL,
	remember_me  INTEGER NOT NULL DEFAULT 0,
	ip           TEXT NOT NULL,
	user_agent   TEXT NOT NULL,
	generation   INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER,
	last_seen_at INTEGER,
	revoked_at   INTEGER -- NULL while active
);
CREATE INDEX sessions_subject ON sessions (org_id, subject_kind, subject_id, created_at DESC);

CREATE TABLE access_tokens (
	hash       BLOB PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	expires_at INTEGER
) WITHOUT ROWID;
CREATE INDEX access_tokens_session ON access_tokens (session_id);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
	hash       BLOB PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	generation INTEGER NOT NULL,
	expires_at INTEGER,
	rotated_at INTEGER -- NULL until exchanged
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

-- Audit events may be anonymous or outlive what they describe, so org_id
-- references nothing. rid orders events written in the same millisecond.
CREATE TABLE audit_events (
	rid        INTEGER PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	org_id     TEXT NOT NULL,
	actor_kind TEXT NOT NULL,
	actor_id   TEXT NOT NULL,
	action     TEXT NOT NULL,
	target_id  TEXT NOT NULL,
	ip         TEXT NOT NULL,
	user_agent TEXT NOT NULL,
	detail     TEXT NOT NULL,
	created_at INTEGER
);
CREATE INDEX audit_events_org ON audit_events (org_id, created_at DESC, rid DESC);
