// Package sqlite is helpr's embedded storage backend: one SQLite database
// file through the pure-Go driver modernc.org/sqlite (no cgo).
//
// The file runs in WAL mode with synchronous=FULL, so every method that
// returned nil has reached stable storage. Writes share one connection and
// run in BEGIN IMMEDIATE transactions; reads use a separate pool of
// read-only connections. Migrations are embedded and applied by Open.
//
// Storage conventions: times are Unix milliseconds (NULL for the zero
// time) and come back in UTC; token hashes are BLOBs; agent emails are
// stored lower-cased; a widget's allowed origins are a JSON array. Message
// text is indexed with FTS5 for SearchMessages, which matches every query
// word as a token prefix ("ord"* in FTS5 terms, each word quoted, so no
// query syntax gets through), by a background indexer after the append's
// commit rather than inside it (indexer.go, SearchLag). Each conversation row carries the preview and
// sender kind of its newest message, written by the same UPDATE that takes
// the sequence number; agent_reads holds each agent's own read mark of a
// conversation (primary key (conversation_id, agent_id)). Visitor PII arrives sealed
// (the store never sees plaintext); visitors.email_index holds the blind
// index that FindVisitorByEmailIndex matches, indexed by (org_id,
// email_index).
//
// Erasure (EraseSubject) clears a subject's row, revokes its sessions and
// rewrites its audit events in one transaction; the row stays, with
// deleted_at set. The writer runs with secure_delete=ON, so cleared and
// overwritten values are zeroed in the database file rather than left in
// freed page space; the cost is extra writes on deletes and updates, which
// are rare next to message appends. Old page images in the WAL last until
// checkpoints recycle it.
//
// Foreign keys are enforced: agents, widgets, visitors and conversations
// must belong to an existing organisation, messages to an existing
// conversation, tokens to an existing session. A write that references a
// missing record fails with storage.ErrNotFound.
package sqlite
