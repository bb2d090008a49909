-- 0002: blind index and erasure (issue 3).
--
-- visitors.email_index is the blind index of the normalised email (a keyed
-- HMAC computed above the backend), NULL when there is no email or after
-- erasure. It is not unique: two visitors of one organisation may share an
-- email. deleted_at (Unix ms) is set by erasure and NULL otherwise.

ALTER TABLE visitors ADD COLUMN email_index BLOB;
ALTER TABLE visitors ADD COLUMN deleted_at INTEGER;
CREATE INDEX visitors_org_email_index ON visitors (org_id, email_index);

ALTER TABLE agents ADD COLUMN deleted_at INTEGER;

-- Audit events are rewritten by erasure (actor_id/target_id become a
-- pseudonym) and listed per subject; index both columns within the org.
CREATE INDEX audit_events_org_actor ON audit_events (org_id, actor_id);
CREATE INDEX audit_events_org_target ON audit_events (org_id, target_id);
