package hub

import (
	"context"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

func TestTenantAndRoleChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	other := seedOrg(t, e.store, 1)
	ctx := context.Background()
	owner := e.org.visitor()
	c := e.start(t, owner)
	stranger := e.org.visitor()
	foreignAgent := other.agents[0]
	foreignVisitor := Actor{OrgID: other.id, Kind: storage.SubjectVisitor, ID: owner.ID}

	for name, a := range map[string]Actor{
		"another visitor": stranger, "agent of another org": foreignAgent, "visitor id in another org": foreignVisitor,
	} {
		_, err := e.hub.Join(ctx, a, c.ID, 0, &recorder{})
		wantErr(t, name+" joins", err, storage.ErrNotFound)
		_, _, err = e.hub.Send(ctx, a, c.ID, "c1", "hi")
		wantErr(t, name+" sends", err, storage.ErrNotFound)
		wantErr(t, name+" types", e.hub.Typing(ctx, a, c.ID, true), storage.ErrNotFound)
		_, err = e.hub.MarkRead(ctx, a, c.ID, 1)
		wantErr(t, name+" marks read", err, storage.ErrNotFound)
	}
	_, err := e.hub.Claim(ctx, foreignAgent, c.ID)
	wantErr(t, "agent of another org claims", err, storage.ErrNotFound)
	_, err = e.hub.Close(ctx, foreignAgent, c.ID)
	wantErr(t, "agent of another org closes", err, storage.ErrNotFound)

	_, err = e.hub.Claim(ctx, owner, c.ID)
	wantErr(t, "visitor claims", err, ErrForbidden)
	_, err = e.hub.Transfer(ctx, owner, c.ID, e.org.agents[0].ID)
	wantErr(t, "visitor transfers", err, ErrForbidden)
	_, err = e.hub.Close(ctx, owner, c.ID)
	wantErr(t, "visitor closes", err, ErrForbidden)
	_, err = e.hub.StartConversation(ctx, e.org.agents[0], e.org.widgetID)
	wantErr(t, "agent starts a conversation", err, ErrForbidden)
	_, err = e.hub.StartConversation(ctx, e.org.visitor(), other.widgetID)
	wantErr(t, "visitor starts on another org's widget", err, storage.ErrNotFound)
	_, err = e.hub.Transfer(ctx, e.org.agents[0], c.ID, foreignAgent.ID)
	wantErr(t, "transfer to an agent of another org", err, storage.ErrNotFound)
	_, err = e.hub.Join(ctx, Actor{OrgID: e.org.id, ID: owner.ID}, c.ID, 0, &recorder{})
	wantErr(t, "actor without a kind", err, ErrForbidden)

	if _, err := e.hub.Join(ctx, owner, c.ID, 0, &recorder{}); err != nil {
		t.Errorf("owner joins: %v", err)
	}
	if _, err := e.hub.Join(ctx, e.org.agents[0], c.ID, 0, &recorder{}); err != nil {
		t.Errorf("agent of the org joins: %v", err)
	}
}

func TestRoundRobinAmongOnlineAgents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4, Options{})
	ag := e.org.agents
	if got := e.start(t, e.org.visitor()).AssigneeID; got != "" {
		t.Fatalf("no agent online: assigned to %q, want the queue", got)
	}
	for _, a := range ag[:3] {
		defer e.hub.Connect(a)()
	}
	if err := e.hub.SetAgentStatus(ag[1], PresenceAway); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	prev := ""
	for range 6 {
		got := e.start(t, e.org.visitor()).AssigneeID
		if got == prev {
			t.Errorf("assigned %q twice in a row", got)
		}
		counts[got]++
		prev = got
	}
	if len(counts) != 2 || counts[ag[0].ID] != 3 || counts[ag[2].ID] != 3 {
		t.Errorf("assignments %v, want 3 each to %s and %s (away and offline agents skipped)", counts, ag[0].ID, ag[2].ID)
	}
	if err := e.hub.SetAgentStatus(ag[0], PresenceAway); err != nil {
		t.Fatal(err)
	}
	if err := e.hub.SetAgentStatus(ag[2], PresenceAway); err != nil {
		t.Fatal(err)
	}
	if got := e.start(t, e.org.visitor()).AssigneeID; got != "" {
		t.Errorf("everyone away: assigned to %q, want the queue", got)
	}
}

func TestClaimOnlyUnassigned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3, Options{})
	c := e.start(t, e.org.visitor())
	inbox := &recorder{}
	defer e.hub.SubscribeInbox(e.org.agents[2], inbox)()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { _, errs[i] = e.hub.Claim(ctx, e.org.agents[i], c.ID) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner == -1:
			winner = i
		case err == nil:
			t.Fatal("both agents claimed the conversation")
		default:
			wantErr(t, "losing claim", err, storage.ErrConflict)
		}
	}
	if winner == -1 {
		t.Fatal("no claim succeeded")
	}
	got, err := e.store.GetConversation(ctx, e.org.id, c.ID)
	if err != nil || got.AssigneeID != e.org.agents[winner].ID {
		t.Errorf("stored assignee %q (%v), want %s", got.AssigneeID, err, e.org.agents[winner].ID)
	}
	evs := inbox.events(t, EventConversation)
	if len(evs) != 1 || evs[0].Conversation.AssigneeID != e.org.agents[winner].ID {
		t.Errorf("inbox got %d conversation events, want 1 naming the winner", len(evs))
	}
}

func TestTransferMovesTheAssignee(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, Options{})
	v := e.org.visitor()
	c := e.start(t, v)
	room, _ := e.join(t, v, c.ID, 0)
	ctx := context.Background()
	a0, a1 := e.org.agents[0], e.org.agents[1]
	if _, err := e.hub.Claim(ctx, a0, c.ID); err != nil {
		t.Fatal(err)
	}
	got, err := e.hub.Transfer(ctx, a0, c.ID, a1.ID)
	if err != nil || got.AssigneeID != a1.ID {
		t.Fatalf("transfer: assignee %q, err %v; want %s", got.AssigneeID, err, a1.ID)
	}
	_, err = e.hub.Transfer(ctx, a0, c.ID, "agt_missing")
	wantErr(t, "transfer to an unknown agent", err, storage.ErrNotFound)
	evs := room.events(t, EventConversation)
	if len(evs) != 2 || evs[1].Conversation.AssigneeID != a1.ID {
		t.Errorf("room got %d conversation events, want claim then transfer to %s", len(evs), a1.ID)
	}
}

func TestCloseThenSendIsClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	v := e.org.visitor()
	c := e.start(t, v)
	e.send(t, v, c.ID, "before")
	inbox := &recorder{}
	defer e.hub.SubscribeInbox(e.org.agents[0], inbox)()
	ctx := context.Background()
	a := e.org.agents[0]
	closed, err := e.hub.Close(ctx, a, c.ID)
	if err != nil || closed.Status != storage.ConversationClosed {
		t.Fatalf("close: status %q, err %v", closed.Status, err)
	}
	_, _, err = e.hub.Send(ctx, v, c.ID, "after", "hi")
	wantErr(t, "send after close", err, ErrClosed)
	wantErr(t, "typing after close", e.hub.Typing(ctx, v, c.ID, true), ErrClosed)
	_, err = e.hub.Claim(ctx, a, c.ID)
	wantErr(t, "claim after close", err, ErrClosed)
	if _, err := e.hub.Close(ctx, a, c.ID); err != nil {
		t.Errorf("closing again: %v", err)
	}
	if n := len(inbox.events(t, EventConversation)); n != 1 {
		t.Errorf("inbox got %d conversation events, want 1 (a second close publishes nothing)", n)
	}
	rec, _ := e.join(t, v, c.ID, 0)
	wantSeqs(t, "history of a closed conversation", rec.seqs(t), 1, 1)
}

func TestStartConversationPublishesToInbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	inbox := &recorder{}
	cancel := e.hub.SubscribeInbox(e.org.agents[0], inbox)
	visitorInbox := &recorder{}
	e.hub.SubscribeInbox(e.org.visitor(), visitorInbox)()
	c := e.start(t, e.org.visitor())
	evs := inbox.events(t, EventConversation)
	if len(evs) != 1 || evs[0].Conversation.ID != c.ID || evs[0].OrgID != e.org.id {
		t.Fatalf("inbox events %+v, want the new conversation", evs)
	}
	cancel()
	cancel()
	e.start(t, e.org.visitor())
	if len(inbox.all()) != 1 || len(visitorInbox.all()) != 0 {
		t.Errorf("after cancel: %d frames, visitor inbox %d; want 1 and 0", len(inbox.all()), len(visitorInbox.all()))
	}
	if n := e.hub.roomCount(); n != 0 {
		t.Errorf("hub holds %d rooms, want 0", n)
	}
}
