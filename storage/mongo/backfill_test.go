package mongo

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
)

// insertLegacyMessage inserts a message of c the way versions before
// search words did: the same document without words.
func insertLegacyMessage(t *testing.T, s *Store, c storage.Conversation, id string, seq int, text string) {
	t.Helper()
	doc := bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: c.OrgID}, {Key: "conversation_id", Value: c.ID},
		{Key: "seq", Value: int64(seq)}, {Key: "client_id", Value: ""}, {Key: "client_key", Value: "m:" + id},
		{Key: "sender_kind", Value: string(storage.SenderVisitor)}, {Key: "sender_id", Value: c.VisitorID},
		{Key: "text", Value: text}, {Key: "created_at", Value: at(seq)}, {Key: "ins", Value: nextIns()}}
	if _, err := s.coll(collMessages).InsertOne(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
}

// forgetBackfill removes the backfill's record, as in a database written
// by an earlier version (which had none).
func forgetBackfill(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.coll(collMeta).DeleteOne(t.Context(), bson.D{{Key: "_id", Value: backfillID}}); err != nil {
		t.Fatal(err)
	}
}

// withoutWordsCount counts the messages that have no words.
func withoutWordsCount(t *testing.T, s *Store) int64 {
	t.Helper()
	n, err := s.coll(collMessages).CountDocuments(t.Context(), bson.D{{Key: "words", Value: bson.D{{Key: "$exists", Value: false}}}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func backfillState(t *testing.T, s *Store) backfillDoc {
	t.Helper()
	d, err := findOne[backfillDoc](t.Context(), s.coll(collMeta), bson.D{{Key: "_id", Value: backfillID}})
	if err != nil {
		t.Fatalf("read backfill state: %v", err)
	}
	return d
}

func TestBackfillMakesOldMessagesSearchable(t *testing.T) {
	s, db := openFresh(t)
	c := seedConversation(t, s)
	insertLegacyMessage(t, s, c, "msg_old1", 1, "Refund for order 12")
	insertLegacyMessage(t, s, c, "msg_old2", 2, "À l'ÉCOLE")
	m := textMessage(c, "new", 3) // "hello new", with its words
	m.ID = "msg_new"
	if _, _, err := s.AppendMessage(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	forgetBackfill(t, s)
	if list, err := s.SearchMessages(t.Context(), c.OrgID, "refund", 0); err != nil || len(list) != 0 {
		t.Errorf("before the backfill: search found %v (err %v), want nothing", ids(list), err)
	}
	s.Close()

	var logs bytes.Buffer
	s = openOn(t, testsvc.MongoURI(t), db, WithLogger(zerolog.New(&logs)))
	defer s.Close()
	for query, want := range map[string][]string{"ref ord": {"msg_old1"}, "ecol": {"msg_old2"}, "hello": {"msg_new"}} {
		list, err := s.SearchMessages(t.Context(), c.OrgID, query, 0)
		if got := ids(list); err != nil || !slices.Equal(got, want) {
			t.Errorf("after the backfill: search %q = %v (err %v), want %v", query, got, err, want)
		}
	}
	var d messageDoc
	if err := s.coll(collMessages).FindOne(t.Context(), bson.D{{Key: "_id", Value: "msg_old2"}}).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "l", "ecole"}; !slices.Equal(d.Words, want) {
		t.Errorf("backfilled words = %q, want %q", d.Words, want)
	}
	if st := backfillState(t, s); st.DoneAt.IsZero() || st.Updated != 2 {
		t.Errorf("backfill state = %+v, want done with 2 updated", st)
	}
	if !strings.Contains(logs.String(), "backfill finished") || !strings.Contains(logs.String(), `"updated":2`) {
		t.Errorf("log = %s, want the finished backfill with 2 updated", logs.String())
	}

	// Done is done: Open no longer looks for messages without words.
	insertLegacyMessage(t, s, c, "msg_late", 4, "late")
	openOn(t, testsvc.MongoURI(t), db).Close()
	if n := withoutWordsCount(t, s); n != 1 {
		t.Errorf("%d messages without words after reopening a migrated database, want the late one", n)
	}
}

// TestBackfillRoundsResumeAcrossOpens runs the backfill with rounds of two
// messages and a budget that pauses it after each round: every Open moves
// it on by one round from where the last stopped, and the Open that finds
// nothing left marks it done.
func TestBackfillRoundsResumeAcrossOpens(t *testing.T) {
	s, db := openFresh(t)
	c := seedConversation(t, s)
	for i := range 5 {
		insertLegacyMessage(t, s, c, fmt.Sprint("msg_", i), i+1, fmt.Sprint("word", i))
	}
	forgetBackfill(t, s)
	defer s.Close()
	small := func(o *config) { o.backfill = backfillConfig{batch: 2, budget: time.Nanosecond} }
	for round, want := range []struct {
		left, updated int64
		after         string
		done          bool
	}{{3, 2, "msg_1", false}, {1, 4, "msg_3", false}, {0, 5, "msg_4", false}, {0, 5, "msg_4", true}} {
		var logs bytes.Buffer
		openOn(t, testsvc.MongoURI(t), db, small, WithLogger(zerolog.New(&logs))).Close()
		st := backfillState(t, s)
		if left := withoutWordsCount(t, s); left != want.left || st.Updated != want.updated ||
			st.AfterID != want.after || st.DoneAt.IsZero() == want.done {
			t.Errorf("after open %d: %d without words, state %+v; want %d left, %d updated after %s, done %v",
				round+1, left, st, want.left, want.updated, want.after, want.done)
		}
		if paused := strings.Contains(logs.String(), "paused"); paused == want.done {
			t.Errorf("after open %d: log %q, want a pause logged: %v", round+1, logs.String(), !want.done)
		}
	}
}

// TestConcurrentBackfills opens three stores at once on a database with
// messages without words, as nodes starting together after an upgrade: all
// open, and every message has its words.
func TestConcurrentBackfills(t *testing.T) {
	s, db := openFresh(t)
	defer s.Close()
	c := seedConversation(t, s)
	for i := range 9 {
		insertLegacyMessage(t, s, c, fmt.Sprint("msg_", i), i+1, fmt.Sprint("word", i))
	}
	forgetBackfill(t, s)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			small := func(o *config) { o.backfill.batch = 2 }
			n, err := Open(t.Context(), testsvc.MongoURI(t), db, small)
			if err == nil {
				err = n.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
	if left, st := withoutWordsCount(t, s), backfillState(t, s); left != 0 || st.DoneAt.IsZero() {
		t.Errorf("after concurrent backfills: %d without words, state %+v", left, st)
	}
	if list, err := s.SearchMessages(t.Context(), c.OrgID, "word8", 0); err != nil || !slices.Equal(ids(list), []string{"msg_8"}) {
		t.Errorf("search word8 = %v (err %v)", ids(list), err)
	}
}
