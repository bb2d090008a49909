// Package mongo is helpr's scale-out storage backend: MongoDB through the
// official driver (go.mongodb.org/mongo-driver/v2). Several helpr nodes
// share one database; a Store keeps nothing between calls but a few
// in-process locks. The same code runs against FerretDB v1 (the
// MongoDB-wire server the tests start), and the design is shaped by what
// both support.
//
// # No multi-document transactions
//
// FerretDB v1 has none, and neither has a standalone mongod, so every
// method is a sequence of single-document writes ordered so that a failure
// or a crash part-way leaves nothing harmful, and what must have exactly
// one winner under concurrency is decided by a unique index — an insert is
// atomic on both servers. Conditional updates (an update whose filter is
// the precondition) are atomic on MongoDB only: FerretDB v1 reads the
// matching documents, applies the update in memory and writes them back,
// so two concurrent updates of one document can both pass their filter and
// the later write can undo the earlier one. Production runs MongoDB; the
// store serialises its own writes to a conversation document per Store
// (one node), and relies on unique indexes, never on conditional updates,
// for what the conformance suite checks under concurrency.
//
//   - Sequence numbers (AppendMessage). Messages are the source of truth;
//     the conversation's last_seq is a hint, never above the highest stored
//     seq. An append reads the hint s and inserts the message with seq s+1;
//     the unique (conversation_id, seq) index rejects a taken number, and
//     the append then reads the true highest seq (sort desc, limit 1) and
//     retries with that plus one (after a short random pause, so nodes do
//     not collide again at once). A seq is only ever inserted as the
//     highest plus one, so a sequence never has holes, even when a process
//     dies between the insert and the hint update; then $max raises the
//     hint and updated_at. GetConversation reports the true highest seq
//     and repairs a lagging hint, MarkRead caps at it, ListConversations
//     reports the stored hint. The update that raises the hint also sets the
//     conversation's preview and last sender kind, filtered on last_seq <=
//     the message's seq so that a slower append of an older message never
//     overwrites a newer one's. Appends through one Store to one
//     conversation queue on a lock (striped by conversation id), so only
//     appends of different nodes ever race. Conversations written before
//     previews existed have none until their next message (no backfill).
//   - Closing (CloseConversation). A close first inserts a fence into
//     messages under the next sequence number (client key "f:closed",
//     sender kind "fence"), then sets the status: the unique seq index
//     makes every later append collide with the fence, so an append that
//     read the conversation open before the close is still refused
//     (storage.ErrConversationClosed), on MongoDB and FerretDB alike.
//     Reads leave the fence out; a reopen deletes it, then sets the
//     status. A close interrupted between its two writes leaves a
//     conversation that reads open but refuses messages until it is
//     closed again (see fence.go).
//   - Agent read marks (MarkAgentRead) live in agent_reads, one document
//     per (conversation, agent) keyed by both ids. The conversation's
//     agent_read_seq is raised first ($max; its org_id filter is the
//     tenancy check), then the agent's mark is upserted ($max): a crash in
//     between leaves the agent's own mark behind, never agent_read_seq
//     below a mark, and a retry completes it.
//   - Idempotent appends. Every message has a client_key, unique per
//     conversation: "c:" + its client id, or "m:" + its id when it has none
//     (never deduplicated). This gives the partial unique index on
//     non-empty client ids without a partial index, which FerretDB v1
//     lacks (and a sparse compound index would still index the
//     conversation id alone on MongoDB). A duplicate whose seq was free is
//     a repeated client id: the stored message is returned (created ==
//     false), or ErrConflict when the message id itself was taken.
//   - Refresh rotation. After checking the old token (exists, unrotated,
//     session not revoked), a rotation inserts a claim keyed by the old
//     token's hash into refresh_claims: one insert wins. The winner inserts
//     the successor and access token, raises the session's generation with
//     $max, and last marks the old token rotated — so whoever sees it
//     rotated also sees the rest. Losers wait (bounded) until it is marked
//     and then report ErrConflict, so the security layer's grace-window
//     replay finds the winner's successors. A failure after the claim
//     deletes what the call inserted. A crash between the claim and the
//     mark leaves the token unusable: its holder signs in again.
//   - One-time tokens (onetime_tokens, _id purpose:id) change by one
//     conditional FindOneAndUpdate each: consuming filters on
//     consumed_at absent, expires_at after now and left >= 0 (left is
//     max_attempts - attempts, kept in the document because FerretDB v1
//     has no $expr); charging also on left > 0, with $inc. Atomic on
//     MongoDB; on FerretDB v1 calls through one Store queue on a lock
//     per token, so only calls of different nodes can both pass.
//   - Passkeys (passkeys, _id the passkey id, credential id unique by
//     index) advance their sign count by one conditional UpdateOne
//     filtered on sign_count below the new value (or both 0); the same
//     FerretDB v1 caveat and per-Store lock stripe apply.
//   - Outgoing mail (mail_queue, _id the mail id). A claim inserts
//     "id:n" into mail_claims, n being the attempt it makes: the unique
//     _id gives each attempt one claimer across nodes, on FerretDB too.
//     The winner then sets the mail's attempts to n and next_at to the
//     lease end, filtered on the attempts it read. A claimer that dies
//     between the two writes leaves a claim that expires with its lease;
//     the next claimer steps over it to n+1. Rescheduling and giving up
//     filter on the attempts of their claim (this Store's mail updates
//     queue on one lock, for FerretDB). The sweep deletes old claims.
//   - Sign-in addresses (signin_ips, _id org:agent:hex(hash)) are
//     recorded by an insert (the unique _id refuses a second one) or a
//     compare-and-set of last_seen_at on the value read, retried when
//     another call won, so exactly one of concurrent calls finds a new
//     address new (a first sighting on MongoDB and FerretDB alike; an
//     address seen again after 90 days on MongoDB, and on FerretDB v1
//     among calls through one Store, which queue on a lock). DeactivateAgent is one
//     conditional update on deactivated_at absent (atomic on MongoDB; on
//     FerretDB v1 calls through one Store queue on a lock per agent).
//   - CreateOrgWithOwner inserts the owner first (its unique email is the
//     likely conflict), then the organisation, deleting the owner again if
//     that fails. CreateSession checks the rehash target, inserts the
//     tokens (useless alone), then the session (which makes them valid),
//     then applies the rehash, deleting its inserts if a step fails. A
//     crash can leave an unreachable orphan, or a session whose password
//     upgrade waits for the next sign-in; never a half-valid record.
//   - EraseSubject runs idempotent steps: the record (first, so an agent
//     pseudonym that is another agent's email fails before anything
//     changed), then the sessions, then an agent's passkeys and sign-in
//     addresses, then the audit trail; the later steps
//     run on every call, so retrying an interrupted erasure completes it.
//     The audit step forgets the commitment salts of the fields it
//     rewrites, in the same update, so no event hash changes.
//   - Audit chain (AppendAudit). Each event carries link "<org_id>/<seq>"
//     under a unique sparse index (events written before the chain have
//     none until the Open-time backfill links them). An append reads the
//     organisation's head (highest seq) and inserts the next link; a
//     duplicate link means another node took that place: the append
//     reads the new head and retries, after a short random pause. Appends
//     through one Store to one organisation queue on a lock. A link is
//     only ever inserted as the head plus one, so a chain has no holes and
//     no forks, on MongoDB and FerretDB alike.
//
// # Documents and indexes
//
// Records are keyed by their ids (_id); tokens and claims by the hex of
// their hash, a string _id (FerretDB v1 answers only a lone string _id
// filter from an index; every other query scans). Lookups of an owned
// record by id filter on _id and check the organisation in code; every
// other query and every update filters on org_id. Times are BSON dates
// (milliseconds, UTC; the zero time is an absent field); agent emails are
// stored lower-cased; visitor PII arrives sealed and the blind index is
// binary. An insertion stamp ("ins", nanoseconds, increasing within a
// process) breaks ties between records created in the same millisecond.
// Open creates the indexes that do not exist yet, by name (unique: agents'
// email, widgets' publishable key, messages' (conversation_id, seq) and
// (conversation_id, client_key), agent_reads' (org_id, agent_id,
// conversation_id); tenant-scoped list and lookup indexes including
// visitors' (org_id, email_index) and messages' (org_id, words) for search;
// token expiry) and drops retired ones.
//
// # Search
//
// Every message document carries words: the distinct words of its text as
// storage.SearchWords splits them (runs of letters, digits and marks, so
// both backends agree on what a word is), lower-cased and with diacritics
// removed the way SQLite's FTS5 "unicode61 remove_diacritics 2" removes
// them (foldWord; "École" is stored as "ecole"), at most 200 words of at
// most 64 bytes each (the first 200 distinct words count; a longer word is
// cut at a character boundary, so its first 64 bytes stay searchable).
// Beyond those bounds, what still differs from SQLite is FTS5's own word
// splitting (see foldWord): its Unicode 6.1 tables, and words split at
// combining marks other than the removed diacritics. SearchMessages folds each query word the same way and asks for
//
//	{org_id: o, $and: [{words: /^ord/}, {words: /^ref/}]}
//
// sorted by (created_at, ins) descending, limited: case-sensitive regexes
// anchored at the start, one per word, each word regexp.QuoteMeta'd (input
// only ever sits inside such a pattern, never in an operator's place). On
// MongoDB each is a range scan of the multikey index org_words
// (org_id, words), so a query matching nothing reads no message, however
// many the organisation or others hold; the matches are sorted in memory
// (a range over a multikey field gives no created_at order, so the index
// has no sort keys). FerretDB v1 scans the collection for any filter but
// a lone _id: results are the same, the index just goes unused there.
// Earlier versions created a text index named text_search, and then
// matched unindexed regexes against the text; Open drops text_search.
//
// Messages stored before words existed are given them at Open: a backfill
// reads messages without words in _id order, in rounds of 500, and sets
// each one's words from its text (messages never change, so repeating a
// round, or several nodes running it at once, writes the same words). Its
// progress (the last id, the count) is kept in the store_meta document
// search_words after every round; a round that ends more than a minute
// into the backfill pauses it until the next Open, which resumes after the
// recorded id. When a round finds nothing, done_at is set and later Opens
// only read that document, so Open stays one query slower for an empty or
// migrated database. Until then, older messages are not found. Messages
// that nodes of an earlier version append while or after the backfill
// runs have no words and are not found either: upgrade every node, then
// delete the search_words document if one kept appending, so that the next
// Open runs the backfill again.
//
// # Expiry, durability, timeouts
//
// FerretDB v1 has no TTL indexes: tokens and claims carry expires_at and
// DeleteExpiredTokens sweeps them, called periodically by the server.
// Writes use the majority write concern with journaling unless the URI
// sets another. Every method runs under one timeout (WithTimeout, default
// 5s) covering all its round trips. Driver errors become storage.ErrNotFound
// (no document) and storage.ErrConflict (duplicate key, code 11000; the
// server's message, which quotes the key, is dropped).
package mongo
