package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// testAppendClosed: an append to a closed conversation is refused with
// ErrConversationClosed and changes nothing; a repeat of a message stored
// before the close still returns it; after a reopen the sequence goes on
// without a hole, and closing again refuses again.
func testAppendClosed(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	first := appendText(t, s, c, "c1", "before the close", 20)
	appendText(t, s, c, "c2", "also before", 21)
	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c.ID, at(30)), "close")

	_, created, err := s.AppendMessage(ctx(t), message(c, "c3", "after the close", 40))
	wantErr(t, err, storage.ErrConversationClosed, "append to a closed conversation")
	if created {
		t.Errorf("append to a closed conversation: created = true")
	}
	got, created, err := s.AppendMessage(ctx(t), message(c, "c1", "a resend after the close", 41))
	ok(t, err, "repeat of a message stored before the close")
	if created {
		t.Errorf("repeat after close: created = true")
	}
	same(t, got, first, "repeat after close returns the stored message")
	conv, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get conversation")
	if conv.LastSeq != 2 || conv.Status != storage.ConversationClosed || !conv.UpdatedAt.Equal(at(30)) {
		t.Errorf("closed conversation after refused appends: LastSeq %d Status %s UpdatedAt %v", conv.LastSeq, conv.Status, conv.UpdatedAt)
	}
	wantMessageSeqs(t, s, c, 2)

	ok(t, s.ReopenConversation(ctx(t), tn.org.ID, c.ID, "", at(50)), "reopen")
	if m := appendText(t, s, c, "c3", "after the reopen", 51); m.Seq != 3 {
		t.Errorf("first append after reopen: seq %d, want 3", m.Seq)
	}
	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c.ID, at(60)), "close again")
	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c.ID, at(61)), "close a closed conversation")
	_, _, err = s.AppendMessage(ctx(t), message(c, "c4", "after the second close", 62))
	wantErr(t, err, storage.ErrConversationClosed, "append after the second close")
	wantMessageSeqs(t, s, c, 3)

	other := c
	other.OrgID = "org_other"
	_, _, err = s.AppendMessage(ctx(t), message(other, "c9", "wrong tenant", 70))
	wantErr(t, err, storage.ErrNotFound, "append to a closed conversation of another organisation")
}

// testAppendRacesClose: appends racing a close either are stored below the
// conversation's LastSeq at the close or are refused with
// ErrConversationClosed; nothing is stored after it, and the stored
// sequence has no hole.
func testAppendRacesClose(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	const writers, each = 4, 15
	var (
		mu     sync.Mutex
		stored []int64
		wg     sync.WaitGroup
	)
	start := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			<-start
			for i := range each {
				m, created, err := s.AppendMessage(ctx(t), message(c, fmt.Sprintf("w%d-%d", w, i), "racing", 20))
				switch {
				case errors.Is(err, storage.ErrConversationClosed):
					continue
				case err != nil || !created:
					t.Errorf("writer %d append %d: created %v, %v", w, i, created, err)
					continue
				}
				mu.Lock()
				stored = append(stored, m.Seq)
				mu.Unlock()
			}
		})
	}
	close(start)
	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c.ID, at(30)), "close")
	closed, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get conversation after close")
	wg.Wait()
	_, _, err = s.AppendMessage(ctx(t), message(c, "late", "after everything", 40))
	wantErr(t, err, storage.ErrConversationClosed, "append after the race")

	slices.Sort(stored)
	for i, seq := range stored {
		if seq != int64(i+1) {
			t.Fatalf("acknowledged seqs %v: hole or duplicate at %d", stored, i)
		}
	}
	final, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get conversation")
	if final.LastSeq != int64(len(stored)) || final.LastSeq > closed.LastSeq {
		t.Errorf("LastSeq %d after the race (%d appends acknowledged), %d right after the close: a message was stored after the close",
			final.LastSeq, len(stored), closed.LastSeq)
	}
	wantMessageSeqs(t, s, c, final.LastSeq)
}

// wantMessageSeqs checks that conversation c holds messages 1..n.
func wantMessageSeqs(t *testing.T, s storage.Store, c storage.Conversation, n int64) {
	t.Helper()
	list, err := s.ListMessages(ctx(t), c.OrgID, c.ID, 0, 500)
	ok(t, err, "list messages")
	if int64(len(list)) != n {
		t.Fatalf("%d messages listed, want %d", len(list), n)
	}
	for i, m := range list {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d, want %d", i, m.Seq, i+1)
		}
	}
}
