package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// lagSlack is added to SearchLag in the tests that wait for the indexer:
// they prove a message becomes searchable without SyncSearch, never how
// fast (the machine may be loaded).
const lagSlack = 10 * time.Second

// withoutIndexer opens a store whose search indexer never runs, as if the
// process had died before indexing its last commits.
func withoutIndexer() Option { return func(o *options) { o.noIndexer = true } }

// eventually polls cond until it holds or d has passed.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func appendTexts(t *testing.T, s *Store, texts ...string) {
	t.Helper()
	for _, text := range texts {
		m := storage.Message{OrgID: "org_1", ConversationID: "cnv_1", SenderKind: storage.SenderVisitor,
			SenderID: "vis_1", Text: text}
		if _, _, err := s.AppendMessage(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
}

// hits counts the index rows matching word (duplicates included, unlike
// SearchMessages, which joins on rid).
func hits(t *testing.T, s *Store, word string) int {
	t.Helper()
	var n int
	q := "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?"
	if err := s.r.QueryRowContext(t.Context(), q, `"`+word+`"`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func watermark(t *testing.T, db *sql.DB) (mark, maxRid int64) {
	t.Helper()
	q := "SELECT (SELECT rid FROM fts_watermark), (SELECT COALESCE(MAX(rid), 0) FROM messages)"
	if err := db.QueryRowContext(t.Context(), q).Scan(&mark, &maxRid); err != nil {
		t.Fatal(err)
	}
	return mark, maxRid
}

// integrity runs FTS5's check of the index against messages: it fails on
// a missing, stale or duplicated index row.
func integrity(t *testing.T, db *sql.DB) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')"); err != nil {
		t.Fatalf("fts integrity-check: %v", err)
	}
}

func searchIDs(t *testing.T, s *Store, q string) int {
	t.Helper()
	list, err := s.SearchMessages(t.Context(), "org_1", q, 200)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestSearchableWithinLag: with no SyncSearch, an appended message is found
// once the indexer has run, which it does on its own after the commit.
func TestSearchableWithinLag(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	seedSearch(t, s)
	appendTexts(t, s, "lagging zebra crossing")
	eventually(t, SearchLag+lagSlack, "searchable", func() bool { return searchIDs(t, s, "zebra") == 1 })
	// A burst larger than one indexing round is searchable in full too.
	burst := make([]string, indexBatch+10)
	for i := range burst {
		burst[i] = fmt.Sprint("burst ", i)
	}
	insertTexts(t, s, burst...)
	s.ix.notify() // as the group commit does after its commit
	eventually(t, SearchLag+lagSlack, "burst searchable", func() bool { return hits(t, s, "burst") == len(burst) })
	integrity(t, s.w)
}

// insertTexts inserts messages of cnv_1 in one transaction (appending
// them one by one would cost one fsync each).
func insertTexts(t *testing.T, s *Store, texts ...string) {
	t.Helper()
	err := s.write(t.Context(), func(tx *sql.Tx) error {
		var seq int64
		if err := tx.QueryRow("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = 'cnv_1'").Scan(&seq); err != nil {
			return err
		}
		for i, text := range texts {
			const q = `INSERT INTO messages (id, org_id, conversation_id, seq, sender_kind, sender_id, text)
				VALUES (?, 'org_1', 'cnv_1', ?, 'visitor', 'vis_1', ?)`
			if _, err := tx.Exec(q, storage.NewID("msg"), seq+int64(i)+1, text); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIndexerCatchesUpAfterCrash: messages committed by a process that
// never indexed them (watermark behind) are indexed after the next Open,
// without SyncSearch, exactly once, and a further reopen adds nothing.
func TestIndexerCatchesUpAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "helpr.db")
	crashed, err := Open(t.Context(), path, withoutIndexer())
	if err != nil {
		t.Fatal(err)
	}
	seedSearch(t, crashed)
	appendTexts(t, crashed, "first orphan", "second orphan")
	texts := make([]string, 2*indexBatch+5) // several rounds
	for i := range texts {
		texts[i] = fmt.Sprint("orphan bulk ", i)
	}
	insertTexts(t, crashed, texts...)
	if mark, top := watermark(t, crashed.r); mark != 0 || top == 0 {
		t.Fatalf("before reopen: watermark %d of %d, want 0 of more", mark, top)
	}
	if n := searchIDs(t, crashed, "orphan"); n != 0 {
		t.Fatalf("unindexed messages found: %d", n)
	}
	must(t, crashed.Close())

	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	want := len(texts) + 2
	eventually(t, SearchLag+lagSlack, "caught up", func() bool {
		mark, top := watermark(t, s.r)
		return mark == top
	})
	if n := hits(t, s, "orphan"); n != want {
		t.Errorf("after catch-up: %d index rows, want %d", n, want)
	}
	integrity(t, s.w)
	must(t, s.Close())

	again, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	must(t, again.SyncSearch(t.Context()))
	if n := hits(t, again, "orphan"); n != want {
		t.Errorf("after second reopen: %d index rows, want %d", n, want)
	}
	integrity(t, again.w)
}

// TestCloseFlushesIndex: Close returns only after every committed message
// is indexed.
func TestCloseFlushesIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "helpr.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	seedSearch(t, s)
	appendTexts(t, s, "closing words", "more closing words")
	must(t, s.Close())
	s, err = Open(t.Context(), path, withoutIndexer())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if mark, top := watermark(t, s.r); mark != top || top == 0 {
		t.Errorf("after Close: watermark %d of %d", mark, top)
	}
	if n := searchIDs(t, s, "closing"); n != 2 {
		t.Errorf("after Close: %d found, want 2", n)
	}
}

// TestRewriteKeepsIndexConsistent: deleting or rewriting a message's text,
// indexed or not yet, leaves an index that matches the table, and a rid
// reused after deleting the newest message is indexed.
func TestRewriteKeepsIndexConsistent(t *testing.T) {
	s, _ := openTemp(t, withoutIndexer())
	defer s.Close()
	seedSearch(t, s, "indexed alpha", "indexed beta", "indexed gamma")
	appendTexts(t, s, "pending delta", "pending epsilon") // above the watermark
	ctx := t.Context()
	for _, q := range []string{
		"UPDATE messages SET text = 'rewritten omega' WHERE text = 'indexed alpha'",
		"UPDATE messages SET text = 'rewritten sigma' WHERE text = 'pending delta'",
		"DELETE FROM messages WHERE text = 'indexed beta'",
		"DELETE FROM messages WHERE text = 'pending epsilon'",
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must(t, s.SyncSearch(ctx))
	integrity(t, s.w)
	// Delete the newest message, now indexed: the watermark drops with it.
	if _, err := s.w.ExecContext(ctx, "DELETE FROM messages WHERE rid = (SELECT MAX(rid) FROM messages)"); err != nil {
		t.Fatal(err)
	}
	if mark, top := watermark(t, s.w); mark != top {
		t.Errorf("after deleting the newest: watermark %d, newest %d", mark, top)
	}
	integrity(t, s.w)
	insertTexts(t, s, "reused zeta") // takes the deleted rid
	must(t, s.SyncSearch(ctx))
	integrity(t, s.w)
	for q, want := range map[string]int{"alpha": 0, "omega": 1, "beta": 0, "gamma": 1, "delta": 0,
		"sigma": 0, "rewritten": 1, "epsilon": 0, "zeta": 1} {
		if n := searchIDs(t, s, q); n != want {
			t.Errorf("search %q: %d, want %d", q, n, want)
		}
	}
}

// TestErasureKeepsSearchConsistent: erasing a visitor (whose PII the
// index never held: it indexes message text only, which erasure keeps by
// contract) leaves the index consistent, the erased name unsearchable,
// and its messages searchable.
func TestErasureKeepsSearchConsistent(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	ctx := t.Context()
	seedSearch(t, s, "please refund order 12")
	now := time.UnixMilli(1_767_225_600_000).UTC()
	v := storage.Visitor{ID: "vis_1", OrgID: "org_1", WidgetID: "wdg_1", Name: "canaryname", Email: "canary@example.test", CreatedAt: now}
	must(t, s.CreateVisitor(ctx, v))
	appendTexts(t, s, "after refund")
	must(t, s.EraseSubject(ctx, storage.Erasure{OrgID: "org_1", Kind: storage.SubjectVisitor, SubjectID: "vis_1",
		Pseudonym: "anon_v", At: now}))
	must(t, s.SyncSearch(ctx))
	integrity(t, s.w)
	for q, want := range map[string]int{"canaryname": 0, "canary": 0, "refund": 2} {
		if n := searchIDs(t, s, q); n != want {
			t.Errorf("search %q after erasure: %d, want %d", q, n, want)
		}
	}
}

// TestMigration0018SetsWatermark: a database of version 17, whose
// messages were indexed inline, gets a watermark at its newest message, so
// nothing is indexed twice and later messages are indexed.
func TestMigration0018SetsWatermark(t *testing.T) {
	list, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 18 || !strings.HasPrefix(list[17].name, "0018_") {
		t.Fatalf("migration 18 is %v", list[17:])
	}
	db := openRaw(t)
	ctx := t.Context()
	must(t, migrateTo(ctx, db, list[:17]))
	const seed = `INSERT INTO messages (id, org_id, conversation_id, seq, sender_kind, sender_id, text) VALUES
		('msg_1', 'org_1', 'cnv_1', 1, 'visitor', 'vis_1', 'legacy hello'),
		('msg_2', 'org_1', 'cnv_1', 2, 'visitor', 'vis_1', 'legacy world')`
	if _, err := db.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, seed); err != nil {
		t.Fatalf("seed: %v", err)
	}
	must(t, migrateTo(ctx, db, list))
	s := &Store{r: db, w: db}
	if mark, top := watermark(t, db); mark != 2 || top != 2 {
		t.Fatalf("watermark %d of %d, want 2 of 2", mark, top)
	}
	must(t, s.SyncSearch(ctx))
	integrity(t, db)
	if n := hits(t, s, "legacy"); n != 2 {
		t.Errorf("legacy messages: %d index rows, want 2", n)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO messages (id, org_id, conversation_id, seq, sender_kind, sender_id, text) VALUES ('msg_3', 'org_1', 'cnv_1', 3, 'visitor', 'vis_1', 'legacy later')"); err != nil {
		t.Fatal(err)
	}
	if n := hits(t, s, "later"); n != 0 {
		t.Errorf("inserted message indexed inline: %d", n)
	}
	must(t, s.SyncSearch(ctx))
	if n := hits(t, s, "legacy"); n != 3 {
		t.Errorf("after SyncSearch: %d index rows, want 3", n)
	}
	integrity(t, db)
}
