package ws

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/wire"
)

var requestN atomic.Int64 // unique refs

// request sends one frame and returns the reply to it: its type, and the
// error frame when the server refused it.
func request(t *testing.T, c *client.Conn, typ string, data any) (string, *wire.Error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a deadlock guard
	defer cancel()
	ref := fmt.Sprintf("r%d", requestN.Add(1))
	if err := c.Send(ctx, typ, ref, data); err != nil {
		t.Fatal(err)
	}
	f, err := c.Await(ctx, client.Reply(ref))
	if err != nil {
		t.Fatalf("await the reply to %s: %v", typ, err)
	}
	if f.Type != wire.TypeError {
		return f.Type, nil
	}
	refusal := new(wire.Error)
	if err := f.Decode(refusal); err != nil {
		t.Fatal(err)
	}
	return f.Type, refusal
}

// mustRefuse fails unless the frame is refused with code.
func mustRefuse(t *testing.T, c *client.Conn, typ string, data any, code wire.ErrorCode) {
	t.Helper()
	got, refusal := request(t, c, typ, data)
	if refusal == nil || refusal.Code != string(code) {
		t.Errorf("%s answered %s %+v, want error %s", typ, got, refusal, code)
	}
}

// otherOrgAgent stores a second organisation with its owner in e's store
// and returns a connection of that owner.
func otherOrgAgent(t *testing.T, e *limitEnv) *client.Conn {
	t.Helper()
	ctx := context.Background()
	now := e.clock.Now()
	org := storage.Organization{ID: storage.NewID("org"), Name: "Rival", CreatedAt: now}
	owner := storage.Agent{ID: storage.NewID("agt"), OrgID: org.ID, Name: "Mallory", Email: "mallory@rival.test",
		Role: storage.RoleOwner, PasswordHash: "x", CreatedAt: now}
	if err := e.store.CreateOrgWithOwner(ctx, org, owner); err != nil {
		t.Fatal(err)
	}
	is, err := e.sessions.Start(ctx, security.StartParams{OrgID: org.ID, Kind: storage.SubjectAgent, SubjectID: owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	return e.dial(is.AccessToken, false)
}

// Another organisation's agent who knows (or guesses) a conversation id
// learns nothing: every frame naming it answers not_found, exactly as for
// an id that does not exist, and changes nothing.
func TestCrossTenantFramesAnswerNotFound(t *testing.T) {
	t.Parallel()
	e := newLimitEnv(t, nil)
	visitor := e.dial(e.visitor(), true)
	conv, refusal := start(t, visitor)
	if refusal != nil {
		t.Fatalf("start: %+v", *refusal)
	}
	mallory := otherOrgAgent(t, e)
	ref := wire.ConversationRef{ConversationID: conv.ID}
	mustRefuse(t, mallory, wire.TypeConversationJoin, wire.ConversationJoin{ConversationID: conv.ID}, wire.CodeNotFound)
	mustRefuse(t, mallory, wire.TypeMessageSend,
		wire.MessageSend{ConversationID: conv.ID, ClientID: "m1", Text: "hi from another tenant"}, wire.CodeNotFound)
	mustRefuse(t, mallory, wire.TypeConversationClaim, ref, wire.CodeNotFound)
	mustRefuse(t, mallory, wire.TypeConversationClose, ref, wire.CodeNotFound)
	mustRefuse(t, mallory, wire.TypeConversationJoin,
		wire.ConversationJoin{ConversationID: storage.NewID("cnv")}, wire.CodeNotFound) // the same answer as a made-up id

	got, err := e.store.GetConversation(context.Background(), e.org, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != storage.ConversationOpen || got.AssigneeID != "" || got.LastSeq != 0 {
		t.Errorf("after the other tenant's frames: %+v, want open, unassigned and empty", got)
	}
}

// A send into a closed conversation is refused conversation_closed: closed
// through this node, and closed behind its back (by another node, straight
// in the store), where only the store's conditional append can tell.
func TestSendIntoClosedConversation(t *testing.T) {
	t.Parallel()
	e := newLimitEnv(t, nil)
	ctx := context.Background()
	visitor := e.dial(e.visitor(), true)
	owner := e.dial(e.token(storage.SubjectAgent, e.owner), false)

	closedHere, refusal := start(t, visitor)
	if refusal != nil {
		t.Fatalf("start: %+v", *refusal)
	}
	if typ, refusal := request(t, owner, wire.TypeConversationClose, wire.ConversationRef{ConversationID: closedHere.ID}); refusal != nil {
		t.Fatalf("close answered %s %+v", typ, refusal)
	}
	mustRefuse(t, visitor, wire.TypeMessageSend,
		wire.MessageSend{ConversationID: closedHere.ID, ClientID: "c1", Text: "still there?"}, wire.CodeConversationClosed)

	closedElsewhere, refusal := start(t, visitor)
	if refusal != nil {
		t.Fatalf("start: %+v", *refusal)
	}
	send := wire.MessageSend{ConversationID: closedElsewhere.ID, ClientID: "c2", Text: "before the close"}
	if typ, refusal := request(t, visitor, wire.TypeMessageSend, send); typ != wire.TypeAck {
		t.Fatalf("send answered %s %+v, want an ack", typ, refusal)
	}
	if err := e.store.CloseConversation(ctx, e.org, closedElsewhere.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	mustRefuse(t, visitor, wire.TypeMessageSend,
		wire.MessageSend{ConversationID: closedElsewhere.ID, ClientID: "c3", Text: "after the close"}, wire.CodeConversationClosed)
	msgs, err := e.store.ListMessages(ctx, e.org, closedElsewhere.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Errorf("%d messages stored, want 1 (nothing after the close)", len(msgs))
	}
}
