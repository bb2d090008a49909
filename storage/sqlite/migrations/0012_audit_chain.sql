-- 0012: the audit trail becomes a tamper-evident hash chain per
-- organisation (issue 11; storage/auditchain.go, docs/security.md "Audit
-- trail"), and an event's outcome is kept.
--
-- seq is 1, 2, 3… per organisation (0 only until the chain is built:
-- chainLegacyAudit, run in this migration's transaction, links the events
-- that exist, oldest first). ActorID, TargetID and IP with user agent enter
-- the hash through salted commitments (*_digest, *_salt); erasure clears a
-- salt with the field it commits to.
ALTER TABLE audit_events ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN actor_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN actor_salt TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN target_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN target_salt TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN client_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN client_salt TEXT NOT NULL DEFAULT '';
-- One event per link: the head read and the insert share the write
-- transaction, and this index states the invariant. Queries that should
-- use it say "seq > 0".
CREATE UNIQUE INDEX audit_events_org_seq ON audit_events (org_id, seq) WHERE seq > 0;
CREATE INDEX audit_events_org_action ON audit_events (org_id, action, seq);
