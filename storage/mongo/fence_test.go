package mongo

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
)

// TestFenceRefusesAnAppendThatReadOpen is the moment a close on another
// node lands between an append's read of the conversation (open) and its
// insert: the fence is stored, the status not yet set. The append must
// collide with the fence and be refused, and reads must not show it.
func TestFenceRefusesAnAppendThatReadOpen(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	c := seedConversation(t, s)
	first, _, err := s.AppendMessage(t.Context(), textMessage(c, "c1", 1))
	if err != nil {
		t.Fatal(err)
	}
	d := conversationDoc{ID: c.ID, OrgID: c.OrgID, LastSeq: 1}
	if err := s.insertFence(t.Context(), d, at(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.insertFence(t.Context(), d, at(3)); err != nil {
		t.Fatalf("a second fence (concurrent close): %v", err)
	}
	_, created, err := s.AppendMessage(t.Context(), textMessage(c, "c2", 4))
	if !errors.Is(err, storage.ErrConversationClosed) || created {
		t.Fatalf("append behind a fence: created %v, %v; want ErrConversationClosed", created, err)
	}
	again, created, err := s.AppendMessage(t.Context(), textMessage(c, "c1", 5))
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("repeat of a stored message behind a fence: %+v created %v, %v", again, created, err)
	}
	checkSeqs(t, s, c, 1)
}

// TestCloseOnOneStoreFencesAppendsOfAnother races appends through one
// Store (node A) with a close through another (node B) on one database:
// once the close returns, the stored messages are final — every later
// append, and every one still in flight, is refused.
func TestCloseOnOneStoreFencesAppendsOfAnother(t *testing.T) {
	uri, db := testsvc.MongoURI(t), testsvc.MongoDatabase(t)
	a, b := openOn(t, uri, db), openOn(t, uri, db)
	defer a.Close()
	defer b.Close()
	c := seedConversation(t, a)
	const writers, most = 3, 2000 // each writer appends until refused
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked []int64
	)
	for w := range writers {
		wg.Go(func() {
			for i := range most {
				m, created, err := a.AppendMessage(t.Context(), textMessage(c, fmt.Sprintf("w%d-%d", w, i), i))
				if errors.Is(err, storage.ErrConversationClosed) {
					return
				}
				if err != nil || !created {
					t.Errorf("writer %d append %d: created %v, %v", w, i, created, err)
					return
				}
				mu.Lock()
				acked = append(acked, m.Seq)
				mu.Unlock()
			}
			t.Errorf("writer %d: %d appends and never refused", w, most)
		})
	}
	for {
		if cv, err := b.GetConversation(t.Context(), c.OrgID, c.ID); err != nil || cv.LastSeq >= 5 {
			break // close mid-stream
		}
	}
	if err := b.CloseConversation(t.Context(), c.OrgID, c.ID, at(100)); err != nil {
		t.Fatal(err)
	}
	atClose, err := b.coll(collMessages).CountDocuments(t.Context(), bson.D{{Key: "conversation_id", Value: c.ID}, notFence})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if int64(len(acked)) != atClose {
		t.Errorf("%d appends acknowledged, %d messages stored when the close returned: a message was stored after the close",
			len(acked), atClose)
	}
	if _, _, err := a.AppendMessage(t.Context(), textMessage(c, "late", 300)); !errors.Is(err, storage.ErrConversationClosed) {
		t.Errorf("append after the race: %v, want ErrConversationClosed", err)
	}
	if atClose <= 500 {
		checkSeqs(t, a, c, int(atClose))
	}
	// The status is not checked here: on FerretDB v1 a concurrent hint
	// update may write the open status back (see doc.go); the fence holds
	// regardless, which is what this test is about.
}
