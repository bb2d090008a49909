package hub

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// inbox subscribes a recorder to the organisation's inbox as agent a, and
// to the activity of scope.
func (e *env) inbox(t *testing.T, a Actor, scope ActivityScope) *recorder {
	t.Helper()
	rec := &recorder{}
	t.Cleanup(e.hub.SubscribeInbox(a, rec))
	cancel, err := e.hub.WatchActivity(a, rec, scope)
	if err != nil {
		t.Fatalf("watch activity: %v", err)
	}
	t.Cleanup(cancel)
	return rec
}

// Every stored message tells every agent's inbox the conversation's new
// last_seq, preview and activity time — without joining the room; a
// duplicate send announces nothing.
func TestSendAnnouncesActivityToTheInbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, Options{})
	ctx := context.Background()
	v := e.org.visitor()
	c := e.start(t, v)
	watcher := e.inbox(t, e.org.agents[1], ActivityAll)
	long := strings.Repeat("order 1234 ", 30)
	msg, _, err := e.hub.Send(ctx, v, c.ID, "v1", "  Where is\n my "+long)
	if err != nil {
		t.Fatal(err)
	}
	if _, dup, _ := e.hub.Send(ctx, v, c.ID, "v1", "  Where is\n my "+long); !dup {
		t.Fatal("resend is not a duplicate")
	}
	evs := watcher.events(t, EventConversation)
	if len(evs) != 1 {
		t.Fatalf("inbox got %d conversation events, want 1: %+v", len(evs), evs)
	}
	got := evs[0].Conversation
	want := storage.PreviewOf(msg.Text)
	if got.ID != c.ID || got.LastSeq != 1 || got.Preview != want || got.LastSenderKind != storage.SenderVisitor ||
		!got.UpdatedAt.Equal(msg.CreatedAt) || got.Status != storage.ConversationOpen {
		t.Fatalf("announced %+v, want last_seq 1, preview %q, updated_at %v", got, want, msg.CreatedAt)
	}
	if !strings.HasPrefix(got.Preview, "Where is my order") || len([]rune(got.Preview)) > storage.PreviewLength+1 {
		t.Errorf("preview %q is not the collapsed, shortened text", got.Preview)
	}
	stored, err := e.store.GetConversation(ctx, e.org.id, c.ID)
	if err != nil || stored.Preview != got.Preview || stored.LastSeq != 1 {
		t.Errorf("stored %+v (%v) disagrees with the announcement", stored, err)
	}
}

// One agent reading marks the conversation read for that agent only; the
// receipt names the agent, reaches the room and the inbox, and the visitor
// sees the agent side raised.
func TestReadMarksArePerAgent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, Options{})
	ctx := context.Background()
	v := e.org.visitor()
	c := e.start(t, v)
	for _, id := range []string{"v1", "v2", "v3"} {
		e.send(t, v, c.ID, id)
	}
	a, b := e.org.agents[0], e.org.agents[1]
	room, _ := e.join(t, v, c.ID, 3)
	inboxB := e.inbox(t, b, ActivityNone)
	if got, err := e.hub.MarkRead(ctx, a, c.ID, 2); err != nil || got != 2 {
		t.Fatalf("agent A reads to 2: %d, %v", got, err)
	}
	marks, err := e.store.AgentReadSeqs(ctx, e.org.id, b.ID, []string{c.ID})
	if err != nil || marks[c.ID] != 0 {
		t.Fatalf("agent B's mark after A read: %v, %v; want none", marks, err)
	}
	marks, _ = e.store.AgentReadSeqs(ctx, e.org.id, a.ID, []string{c.ID})
	if marks[c.ID] != 2 {
		t.Fatalf("agent A's mark: %v, want 2", marks)
	}
	if conv, _ := e.store.GetConversation(ctx, e.org.id, c.ID); conv.AgentReadSeq != 2 {
		t.Fatalf("agent side after A read: %d, want 2", conv.AgentReadSeq)
	}
	for who, rec := range map[string]*recorder{"the room": room, "B's inbox": inboxB} {
		evs := rec.events(t, EventReceipt)
		if len(evs) != 1 || evs[0].Receipt.AgentID != a.ID || evs[0].Receipt.Seq != 2 || evs[0].Receipt.Side != storage.SenderAgent {
			t.Errorf("%s got receipts %+v, want one from agent A at 2", who, evs)
		}
	}
	// B reading less than A keeps the agent side; the visitor side is apart.
	if got, _ := e.hub.MarkRead(ctx, b, c.ID, 1); got != 1 {
		t.Fatalf("agent B reads to 1: %d", got)
	}
	if conv, _ := e.store.GetConversation(ctx, e.org.id, c.ID); conv.AgentReadSeq != 2 || conv.VisitorReadSeq != 0 {
		t.Fatalf("after B read to 1: agent side %d visitor side %d, want 2 and 0", conv.AgentReadSeq, conv.VisitorReadSeq)
	}
	if got, _ := e.hub.MarkRead(ctx, v, c.ID, 3); got != 3 {
		t.Fatalf("visitor reads to 3: %d", got)
	}
	evs := room.events(t, EventReceipt)
	if last := evs[len(evs)-1].Receipt; last.Side != storage.SenderVisitor || last.AgentID != "" || last.Seq != 3 {
		t.Errorf("visitor receipt %+v", last)
	}
}

// Reopen brings a closed conversation back, assigned to the agent who
// reopened it, announces it, and is a no-op on an open one.
func TestReopen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, Options{})
	ctx := context.Background()
	v := e.org.visitor()
	c := e.start(t, v)
	a := e.org.agents[1]
	if _, err := e.hub.Reopen(ctx, v, c.ID); err != ErrForbidden {
		t.Fatalf("visitor reopens: %v, want ErrForbidden", err)
	}
	if got, err := e.hub.Reopen(ctx, a, c.ID); err != nil || got.Status != storage.ConversationOpen || got.AssigneeID != "" {
		t.Fatalf("reopen an open conversation: %+v, %v; want it unchanged", got, err)
	}
	if _, err := e.hub.Close(ctx, e.org.agents[0], c.ID); err != nil {
		t.Fatal(err)
	}
	watcher := e.inbox(t, e.org.agents[0], ActivityNone)
	got, err := e.hub.Reopen(ctx, a, c.ID)
	if err != nil || got.Status != storage.ConversationOpen || got.AssigneeID != a.ID || !got.ClosedAt.IsZero() {
		t.Fatalf("reopen: %+v, %v", got, err)
	}
	evs := watcher.events(t, EventConversation)
	if len(evs) != 1 || evs[0].Conversation.Status != storage.ConversationOpen || evs[0].Conversation.AssigneeID != a.ID {
		t.Fatalf("inbox got %+v, want the reopened state", evs)
	}
	if _, _, err := e.hub.Send(ctx, v, c.ID, "after", "back again"); err != nil {
		t.Fatalf("send after reopen: %v", err)
	}
	other := seedOrg(t, e.store, 1)
	_, err = e.hub.Reopen(ctx, other.agents[0], c.ID)
	wantErr(t, "agent of another org reopens", err, storage.ErrNotFound)
}

// An agent watching "mine" gets the activity of its own and of unassigned
// conversations only; "none" gets none; state changes reach every inbox.
func TestActivityScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3, Options{})
	ctx := context.Background()
	a, b, c := e.org.agents[0], e.org.agents[1], e.org.agents[2]
	mineA := e.inbox(t, a, ActivityMine)
	none := e.inbox(t, c, ActivityNone)
	all := e.inbox(t, b, ActivityAll)
	v1, v2 := e.org.visitor(), e.org.visitor()
	queued := e.start(t, v1)
	other := e.start(t, v2)
	if _, err := e.hub.Claim(ctx, b, other.ID); err != nil {
		t.Fatal(err)
	}
	base := map[*recorder]int{}
	for _, r := range []*recorder{mineA, none, all} {
		base[r] = len(r.events(t, EventConversation)) // the starts and the claim
		if base[r] != 3 {
			t.Fatalf("state events before any message: %d, want 3 (two starts, one claim)", base[r])
		}
	}
	e.send(t, v1, queued.ID, "q1") // unassigned: in A's queue
	e.send(t, v2, other.ID, "o1")  // B's
	count := func(r *recorder) int { return len(r.events(t, EventConversation)) - base[r] }
	if got := count(mineA); got != 1 {
		t.Errorf("mine: %d activity events, want 1 (the queued conversation)", got)
	}
	if got := count(none); got != 0 {
		t.Errorf("none: %d activity events, want 0", got)
	}
	if got := count(all); got != 2 {
		t.Errorf("all: %d activity events, want 2", got)
	}
	if _, err := e.hub.WatchActivity(v1, &recorder{}, ActivityAll); err != ErrForbidden {
		t.Errorf("visitor watches activity: %v, want ErrForbidden", err)
	}
	if _, err := e.hub.WatchActivity(a, &recorder{}, "everything"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown scope: %v, want ErrInvalid", err)
	}
}
