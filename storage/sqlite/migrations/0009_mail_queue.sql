-- 0009: the outgoing-mail queue (issue 11, storage.MailStore).
--
-- to_addr, subject and text arrive sealed from the security layer. Times
-- are Unix milliseconds. A mail is due while sent_at and failed_at are
-- NULL and next_at <= now; a claim raises attempts and moves next_at to
-- the end of its lease, so a mail whose sender died is due again when the
-- lease ends. Every state change is one conditional UPDATE.
CREATE TABLE mail_queue (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL,
	kind       TEXT NOT NULL,
	to_addr    TEXT NOT NULL,
	subject    TEXT NOT NULL,
	text       TEXT NOT NULL,
	attempts   INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	next_at    INTEGER NOT NULL,
	sent_at    INTEGER,
	failed_at  INTEGER
);
-- ClaimMail: the pending mails by due time.
CREATE INDEX mail_queue_pending_next ON mail_queue (next_at) WHERE sent_at IS NULL AND failed_at IS NULL;
-- DeleteDoneMail.
CREATE INDEX mail_queue_sent ON mail_queue (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX mail_queue_failed ON mail_queue (failed_at) WHERE failed_at IS NOT NULL;
