-- 0018: search indexing leaves the append transaction (issue 13).
--
-- The append no longer writes the full-text index: a background indexer
-- (indexer.go) adds committed messages to messages_fts in batches, in rid
-- order, and records in fts_watermark, in the same transaction, the
-- highest rid it indexed. Invariant: a message is in messages_fts if and
-- only if its rid <= fts_watermark.rid, so a crash can neither lose nor
-- duplicate index rows, and the indexer resumes from the watermark.
--
-- Databases of earlier versions indexed every message inline (trigger
-- messages_fts_insert), so their watermark starts at their highest rid.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;

CREATE TABLE fts_watermark (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	rid INTEGER NOT NULL
);
INSERT INTO fts_watermark (id, rid) SELECT 1, COALESCE(MAX(rid), 0) FROM messages;

-- A deleted or rewritten message leaves the index only if it is in it
-- (deleting an absent row from an external-content index corrupts it).
-- Deleting the newest messages lowers the watermark to the highest rid
-- left, so a later insert that reuses their rid (rid is not AUTOINCREMENT)
-- is above the watermark and gets indexed.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text)
		SELECT 'delete', old.rid, old.text WHERE old.rid <= (SELECT rid FROM fts_watermark);
	UPDATE fts_watermark SET rid = (SELECT COALESCE(MAX(rid), 0) FROM messages)
		WHERE rid > (SELECT COALESCE(MAX(rid), 0) FROM messages);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
WHEN old.rid <= (SELECT rid FROM fts_watermark) BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rid, old.text);
	INSERT INTO messages_fts (rowid, text) VALUES (new.rid, new.text);
END;
