package hub

import (
	"context"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// noticeLog is an Options.Notify that keeps every notice.
type noticeLog struct {
	mu      sync.Mutex
	notices []Notice
}

func (l *noticeLog) notify(_ context.Context, n Notice) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.notices = append(l.notices, n)
}

// take returns the notices so far and forgets them.
func (l *noticeLog) take() []Notice {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.notices
	l.notices = nil
	return out
}

// kinds lists the notices' kinds.
func kinds(ns []Notice) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Kind
	}
	return out
}

// wantKinds fails unless ns are exactly the kinds, in order.
func wantKinds(t *testing.T, what string, ns []Notice, want ...string) {
	t.Helper()
	got := kinds(ns)
	if len(got) != len(want) {
		t.Fatalf("%s: notices %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: notices %v, want %v", what, got, want)
		}
	}
}

func newNoticeEnv(t *testing.T, agents int) (*env, *noticeLog) {
	t.Helper()
	l := &noticeLog{}
	return newEnv(t, agents, Options{Notify: l.notify}), l
}

func TestNoticeConversationCreatedQueued(t *testing.T) {
	t.Parallel()
	e, l := newNoticeEnv(t, 1)
	c := e.start(t, e.org.visitor())
	ns := l.take()
	wantKinds(t, "start without agents online", ns, NoticeConversationCreated)
	if ns[0].Conversation.ID != c.ID || ns[0].Conversation.OrgID != e.org.id || ns[0].Message != nil {
		t.Errorf("notice %+v, want conversation %s of %s and no message", ns[0], c.ID, e.org.id)
	}
	if _, err := e.store.GetConversation(context.Background(), e.org.id, c.ID); err != nil {
		t.Errorf("conversation not stored when notified: %v", err)
	}
}

func TestNoticeConversationAutoAssigned(t *testing.T) {
	t.Parallel()
	e, l := newNoticeEnv(t, 1)
	defer e.hub.Connect(e.org.agents[0])()
	c := e.start(t, e.org.visitor())
	ns := l.take()
	wantKinds(t, "start with an agent online", ns, NoticeConversationCreated, NoticeConversationAssigned)
	if ns[1].Conversation.AssigneeID != e.org.agents[0].ID || c.AssigneeID != e.org.agents[0].ID {
		t.Errorf("assigned notice names %q, want %s", ns[1].Conversation.AssigneeID, e.org.agents[0].ID)
	}
}

func TestNoticeClaimAndTransfer(t *testing.T) {
	t.Parallel()
	e, l := newNoticeEnv(t, 2)
	c := e.start(t, e.org.visitor())
	l.take()
	ctx := context.Background()
	a0, a1 := e.org.agents[0], e.org.agents[1]
	if _, err := e.hub.Claim(ctx, a0, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.Claim(ctx, a1, c.ID); err == nil {
		t.Fatal("second claim succeeded")
	}
	ns := l.take()
	wantKinds(t, "claim then a refused claim", ns, NoticeConversationAssigned)
	if ns[0].Conversation.AssigneeID != a0.ID {
		t.Errorf("claim notice names %q, want %s", ns[0].Conversation.AssigneeID, a0.ID)
	}
	if _, err := e.hub.Transfer(ctx, a0, c.ID, a1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.Transfer(ctx, a0, c.ID, "agt_missing"); err == nil {
		t.Fatal("transfer to a missing agent succeeded")
	}
	ns = l.take()
	wantKinds(t, "transfer then a refused transfer", ns, NoticeConversationAssigned)
	if ns[0].Conversation.AssigneeID != a1.ID {
		t.Errorf("transfer notice names %q, want %s", ns[0].Conversation.AssigneeID, a1.ID)
	}
	if _, err := e.hub.Unassign(ctx, a0, c.ID, a1.ID); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, "unassign", l.take())
}

func TestNoticeCloseOnce(t *testing.T) {
	t.Parallel()
	e, l := newNoticeEnv(t, 1)
	c := e.start(t, e.org.visitor())
	l.take()
	ctx := context.Background()
	for range 2 {
		if _, err := e.hub.Close(ctx, e.org.agents[0], c.ID); err != nil {
			t.Fatal(err)
		}
	}
	ns := l.take()
	wantKinds(t, "close twice", ns, NoticeConversationClosed)
	if ns[0].Conversation.Status != storage.ConversationClosed || ns[0].Conversation.ClosedAt.IsZero() {
		t.Errorf("close notice carries status %q closed at %v", ns[0].Conversation.Status, ns[0].Conversation.ClosedAt)
	}
}

func TestNoticeMessageCreatedNotForDuplicates(t *testing.T) {
	t.Parallel()
	e, l := newNoticeEnv(t, 1)
	v := e.org.visitor()
	c := e.start(t, v)
	l.take()
	ctx := context.Background()
	a := e.org.agents[0]
	vm := e.send(t, v, c.ID, "v1")
	if _, dup, err := e.hub.Send(ctx, v, c.ID, "v1", "hello v1"); err != nil || !dup {
		t.Fatalf("repeat: duplicate %v, err %v", dup, err)
	}
	am := e.send(t, a, c.ID, "a1")
	ns := l.take()
	wantKinds(t, "visitor message, its repeat, agent message", ns, NoticeMessageCreated, NoticeMessageCreated)
	for i, want := range []storage.Message{vm, am} {
		m := ns[i].Message
		if m == nil || m.ID != want.ID || m.Seq != want.Seq || m.SenderKind != want.SenderKind || ns[i].Conversation.ID != c.ID {
			t.Errorf("notice %d: message %+v, want %s seq %d", i, m, want.ID, want.Seq)
		}
	}
	if _, err := e.hub.Close(ctx, a, c.ID); err != nil {
		t.Fatal(err)
	}
	l.take()
	if _, _, err := e.hub.Send(ctx, v, c.ID, "late", "hi"); err == nil {
		t.Fatal("send after close succeeded")
	}
	wantKinds(t, "refused send", l.take())
}

func TestNoticeReopenByAnotherAgent(t *testing.T) {
	t.Parallel()
	e, l := newNoticeEnv(t, 2)
	c := e.start(t, e.org.visitor())
	ctx := context.Background()
	if _, err := e.hub.Close(ctx, e.org.agents[0], c.ID); err != nil {
		t.Fatal(err)
	}
	l.take()
	got, err := e.hub.Reopen(ctx, e.org.agents[1], c.ID)
	if err != nil {
		t.Fatal(err)
	}
	ns := l.take()
	wantKinds(t, "reopen of a queued conversation by an agent", ns, NoticeConversationAssigned)
	if got.AssigneeID != e.org.agents[1].ID || ns[0].Conversation.AssigneeID != got.AssigneeID {
		t.Errorf("reopen assigned %q, notice names %q; want %s", got.AssigneeID, ns[0].Conversation.AssigneeID, e.org.agents[1].ID)
	}
	if _, err := e.hub.Reopen(ctx, e.org.agents[1], c.ID); err != nil {
		t.Fatal(err)
	}
	wantKinds(t, "reopen of an open conversation", l.take())
}
