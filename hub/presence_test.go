package hub

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// presenceLog renders the inbox's presence events as "id:status".
func presenceLog(t *testing.T, r *recorder) []string {
	t.Helper()
	var out []string
	for _, e := range r.events(t, EventPresence) {
		out = append(out, e.Presence.SubjectID+":"+string(e.Presence.Status))
	}
	return out
}

func TestPresenceEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, Options{})
	watcher, a := e.org.agents[0], e.org.agents[1]
	inbox := &recorder{}
	defer e.hub.SubscribeInbox(watcher, inbox)()

	d1 := e.hub.Connect(a)
	d2 := e.hub.Connect(a) // a second connection changes nothing
	if err := e.hub.SetAgentStatus(a, PresenceAway); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(e.hub.Presence(e.org.id)); got != fmt.Sprint([]Presence{{storage.SubjectAgent, a.ID, PresenceAway}}) {
		t.Errorf("Presence = %s, want %s away", got, a.ID)
	}
	d1()
	d1() // idempotent
	d2()
	d3 := e.hub.Connect(a) // away survives reconnecting
	if err := e.hub.SetAgentStatus(a, PresenceOnline); err != nil {
		t.Fatal(err)
	}
	d3()
	want := []string{a.ID + ":online", a.ID + ":away", a.ID + ":offline", a.ID + ":away", a.ID + ":online", a.ID + ":offline"}
	if got := presenceLog(t, inbox); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("presence events\n got %v\nwant %v", got, want)
	}
	if got := e.hub.Presence(e.org.id); len(got) != 0 {
		t.Errorf("Presence after disconnect = %v, want none", got)
	}
}

func TestVisitorPresenceAndStatusChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	inbox := &recorder{}
	defer e.hub.SubscribeInbox(e.org.agents[0], inbox)()
	v := e.org.visitor()
	e.hub.Connect(v)()
	want := []string{v.ID + ":online", v.ID + ":offline"}
	if got := presenceLog(t, inbox); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("visitor presence events %v, want %v", got, want)
	}
	wantErr(t, "visitor sets status", e.hub.SetAgentStatus(v, PresenceAway), ErrForbidden)
	wantErr(t, "unknown status", e.hub.SetAgentStatus(e.org.agents[0], "busy"), ErrInvalid)
	wantErr(t, "offline is not settable", e.hub.SetAgentStatus(e.org.agents[0], PresenceOffline), ErrInvalid)
	if err := e.hub.SetAgentStatus(e.org.agents[0], PresenceAway); err != nil {
		t.Errorf("away while disconnected: %v", err)
	}
	if n := len(presenceLog(t, inbox)); n != 2 {
		t.Errorf("a disconnected agent's status choice published %d events in all, want 2", n)
	}
}

func TestTypingAndReceipts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	v, a := e.org.visitor(), e.org.agents[0]
	c := e.start(t, v)
	vr, _ := e.join(t, v, c.ID, 0)
	ar, _ := e.join(t, a, c.ID, 0)
	ctx := context.Background()
	if err := e.hub.Typing(ctx, v, c.ID, true); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*recorder{"visitor": vr, "agent": ar} {
		evs := r.events(t, EventTyping)
		if len(evs) != 1 || *evs[0].Typing != (Typing{storage.SenderVisitor, v.ID, true}) {
			t.Errorf("%s got typing events %+v, want the visitor typing", name, evs)
		}
	}
	for i := range 3 {
		e.send(t, v, c.ID, fmt.Sprint(i))
	}
	for _, tc := range []struct{ seq, want int64 }{{2, 2}, {1, 2}, {9, 3}} {
		got, err := e.hub.MarkRead(ctx, a, c.ID, tc.seq)
		if err != nil || got != tc.want {
			t.Errorf("MarkRead(%d) = %d, %v; want %d", tc.seq, got, err, tc.want)
		}
	}
	if got, err := e.hub.MarkRead(ctx, v, c.ID, 1); err != nil || got != 1 {
		t.Errorf("visitor MarkRead(1) = %d, %v; want 1", got, err)
	}
	_, err := e.hub.MarkRead(ctx, a, c.ID, -1)
	wantErr(t, "negative read seq", err, ErrInvalid)
	var got []string
	for _, ev := range vr.events(t, EventReceipt) {
		got = append(got, fmt.Sprintf("%s:%d", ev.Receipt.Side, ev.Receipt.Seq))
	}
	if want := "[agent:2 agent:2 agent:3 visitor:1]"; fmt.Sprint(got) != want {
		t.Errorf("receipts %v, want %s", got, want)
	}
	stored, err := e.store.GetConversation(ctx, e.org.id, c.ID)
	if err != nil || stored.AgentReadSeq != 3 || stored.VisitorReadSeq != 1 {
		t.Errorf("stored read seqs agent %d visitor %d (%v), want 3 and 1", stored.AgentReadSeq, stored.VisitorReadSeq, err)
	}
}

// brokenDirectory fails every call, like a directory whose server is down.
type brokenDirectory struct{}

var errDirectoryDown = errors.New("directory down")

func (brokenDirectory) SetConnected(context.Context, string, string, bool) (PresenceStatus, PresenceStatus, error) {
	return "", "", errDirectoryDown
}
func (brokenDirectory) SetAway(context.Context, string, string, bool) (PresenceStatus, PresenceStatus, error) {
	return "", "", errDirectoryDown
}
func (brokenDirectory) Agents(context.Context, string) ([]Presence, error) {
	return nil, errDirectoryDown
}
func (brokenDirectory) NextAgent(context.Context, string) (string, error) {
	return "", errDirectoryDown
}

func TestPresenceFallsBackToThisNodeWhenTheDirectoryFails(t *testing.T) {
	t.Parallel()
	errs := &errLog{}
	e := newEnv(t, 2, Options{Presence: brokenDirectory{}, OnError: errs.add})
	watcher, a := e.org.agents[0], e.org.agents[1]
	inbox := &recorder{}
	defer e.hub.SubscribeInbox(watcher, inbox)()
	disconnect := e.hub.Connect(a)
	if err := e.hub.SetAgentStatus(a, PresenceAway); err != nil {
		t.Fatalf("SetAgentStatus with the directory down: %v", err)
	}
	if got := fmt.Sprint(e.hub.Presence(e.org.id)); got != fmt.Sprint([]Presence{{storage.SubjectAgent, a.ID, PresenceAway}}) {
		t.Errorf("Presence = %s, want this node's view: %s away", got, a.ID)
	}
	if c := e.start(t, e.org.visitor()); c.AssigneeID != "" {
		t.Errorf("assigned to %q with the directory down, want the queue", c.AssigneeID)
	}
	disconnect()
	want := []string{a.ID + ":online", a.ID + ":away", a.ID + ":offline"}
	if got := presenceLog(t, inbox); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("presence events %v, want %v (this node's transitions)", got, want)
	}
	for _, err := range errs.all() {
		if !errors.Is(err, errDirectoryDown) {
			t.Errorf("OnError got %v, want the directory's error", err)
		}
	}
	if n := len(errs.all()); n != 5 {
		t.Errorf("OnError got %d reports, want 5 (connect, away, presence, assign, disconnect)", n)
	}
}
