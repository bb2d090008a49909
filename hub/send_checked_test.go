package hub

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// countingStore counts the GetConversation calls that reach the store.
type countingStore struct {
	Store
	gets atomic.Int64
}

func (s *countingStore) GetConversation(ctx context.Context, orgID, id string) (storage.Conversation, error) {
	s.gets.Add(1)
	return s.Store.GetConversation(ctx, orgID, id)
}

// TestSendReadsNoConversation: Send's checks are the store's conditional
// append, so no send (new, duplicate, agent's, refused) reads the
// conversation; the notice carries the conversation as the append stored
// it.
func TestSendReadsNoConversation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	cs := &countingStore{Store: e.store}
	log := &noticeLog{}
	h := New(cs, e.codec, Options{Notify: log.notify})
	v, a := e.org.visitor(), e.org.agents[0]
	c, err := h.StartConversation(context.Background(), v, e.org.widgetID)
	if err != nil {
		t.Fatal(err)
	}
	cs.gets.Store(0)
	log.take()
	ctx := context.Background()
	for _, s := range []struct {
		who      Actor
		clientID string
	}{{v, "v1"}, {a, "a1"}, {v, "v1"}} {
		if _, _, err := h.Send(ctx, s.who, c.ID, s.clientID, "hello"); err != nil {
			t.Fatalf("send %s: %v", s.clientID, err)
		}
	}
	if _, _, err := h.Send(ctx, e.org.visitor(), c.ID, "x1", "not mine"); err == nil {
		t.Fatal("another visitor's send succeeded")
	}
	if n := cs.gets.Load(); n != 0 {
		t.Errorf("Send read the conversation %d times, want 0", n)
	}
	ns := log.take()
	if len(ns) != 2 {
		t.Fatalf("got %d notices, want 2 (one per new message): %v", len(ns), kinds(ns))
	}
	for i, n := range ns {
		if n.Conversation.LastSeq != n.Message.Seq || n.Conversation.LastSeq != int64(i+1) ||
			n.Conversation.Preview != storage.PreviewOf("hello") {
			t.Errorf("notice %d: conversation LastSeq %d Preview %q for message %d", i, n.Conversation.LastSeq,
				n.Conversation.Preview, n.Message.Seq)
		}
	}
}

// TestSendRefusesAnotherVisitorsConversation: a visitor cannot send into
// another visitor's conversation, not even with a client id used there
// (ErrNotFound, as for a missing conversation, never ErrConflict); the
// agent reusing the visitor's client id is ErrConflict.
func TestSendRefusesAnotherVisitorsConversation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	owner, intruder := e.org.visitor(), e.org.visitor()
	c := e.start(t, owner)
	e.send(t, owner, c.ID, "c1")
	ctx := context.Background()
	for _, clientID := range []string{"x1", "c1"} {
		_, _, err := e.hub.Send(ctx, intruder, c.ID, clientID, "not mine")
		wantErr(t, "another visitor's send with client id "+clientID, err, storage.ErrNotFound)
	}
	_, _, err := e.hub.Send(ctx, owner, "cnv_missing", "c1", "nowhere")
	wantErr(t, "send to a missing conversation", err, storage.ErrNotFound)
	_, _, err = e.hub.Send(ctx, e.org.agents[0], c.ID, "c1", "the visitor's client id")
	wantErr(t, "agent reusing the visitor's client id", err, storage.ErrConflict)
	msgs, err := e.store.ListMessages(ctx, e.org.id, c.ID, 0, 0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("stored %d messages (%v), want only the owner's", len(msgs), err)
	}
}

// TestSendToClosedIsErrClosed: a send to a closed conversation is ErrClosed
// and stores nothing; a repeat of a message stored before the close is a
// duplicate.
func TestSendToClosedIsErrClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	v := e.org.visitor()
	c := e.start(t, v)
	first := e.send(t, v, c.ID, "c1")
	ctx := context.Background()
	if _, err := e.hub.Close(ctx, e.org.agents[0], c.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.hub.Send(ctx, v, c.ID, "c2", "after the close")
	wantErr(t, "visitor send after the close", err, ErrClosed)
	_, _, err = e.hub.Send(ctx, e.org.agents[0], c.ID, "a1", "after the close")
	wantErr(t, "agent send after the close", err, ErrClosed)
	again, dup, err := e.hub.Send(ctx, v, c.ID, "c1", "resend")
	if err != nil || !dup || again.ID != first.ID {
		t.Errorf("repeat after the close: %+v dup=%v err=%v, want the first message as a duplicate", again, dup, err)
	}
}
