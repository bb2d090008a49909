-- 0004: conversation previews and per-agent read marks (issue 9).
--
-- conversations.preview is the newest message's text as storage.PreviewOf
-- shortens it; last_sender_kind is that message's sender kind. Both are ''
-- while the conversation is empty; AppendMessage sets them with last_seq.
-- Existing conversations are backfilled from their newest message through
-- helpr_preview, storage.PreviewOf registered as an SQL function (preview.go);
-- only this migration calls it, no schema object depends on it.

ALTER TABLE conversations ADD COLUMN preview TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN last_sender_kind TEXT NOT NULL DEFAULT '';

UPDATE conversations SET preview = helpr_preview(m.text), last_sender_kind = m.sender_kind
	FROM messages m
	WHERE m.conversation_id = conversations.id AND m.seq = conversations.last_seq;

-- agent_reads holds each agent's own read mark of a conversation (the
-- highest sequence number it has read); conversations.agent_read_seq stays
-- the agent side as a whole, at least every mark here. A missing row means
-- 0. Marks outlive an agent's erasure: they hold only its id.
CREATE TABLE agent_reads (
	org_id          TEXT NOT NULL,
	conversation_id TEXT NOT NULL REFERENCES conversations (id),
	agent_id        TEXT NOT NULL,
	seq             INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (conversation_id, agent_id)
) WITHOUT ROWID;
