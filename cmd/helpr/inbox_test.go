package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// addAgent creates an agent of the tenant and logs it in.
func (n *node) addAgent(tn tenant, name, email string) (id string, tk tokens) {
	n.t.Helper()
	var a struct{ ID string }
	if code := n.call("POST", "/rest/v1/agents", tn.owner.AccessToken, map[string]any{
		"name": name, "email": email, "password": "correct horse battery", "role": "agent",
	}, &a); code != http.StatusCreated {
		n.t.Fatalf("create agent %s: status %d", email, code)
	}
	return a.ID, n.login(email, "correct horse battery")
}

// visitorChat starts a visitor session through the tenant's widget, connects
// it and starts a conversation: its token, connection and conversation.
func (n *node) visitorChat(ctx context.Context, tn tenant, name string) (string, *client.Conn, wire.Conversation) {
	n.t.Helper()
	vtok := n.visitor(tn, name)
	vis := n.dial(ctx, client.Options{Token: vtok, AuthFrame: true, WidgetKey: tn.widgetKey, Origin: tn.origin})
	if err := vis.Send(ctx, wire.TypeConversationStart, "start", nil); err != nil {
		n.t.Fatal(err)
	}
	f, err := vis.Await(ctx, client.Reply("start"))
	var conv wire.Conversation
	if err != nil || f.Decode(&conv) != nil {
		n.t.Fatalf("start: %v %s", err, f.Data)
	}
	return vtok, vis, conv
}

// restConversation is the REST conversation object's read state.
type restConversation struct {
	ID           string `json:"id"`
	LastSeq      int64  `json:"last_seq"`
	AgentReadSeq int64  `json:"agent_read_seq"`
	UnreadCount  *int64 `json:"unread_count"`
	Preview      string `json:"preview"`
}

// conversationAs reads one conversation through REST with token.
func (n *node) conversationAs(token, id string) restConversation {
	n.t.Helper()
	var c restConversation
	if code := n.call("GET", "/rest/v1/conversations/"+id, token, nil, &c); code != http.StatusOK {
		n.t.Fatalf("get conversation: %d", code)
	}
	return c
}

// awaitConversation waits for a conversation frame of id with last_seq seq.
func awaitConversation(ctx context.Context, t *testing.T, c *client.Conn, id string, seq int64) wire.Conversation {
	t.Helper()
	var got wire.Conversation
	_, err := c.Await(ctx, func(f client.Frame) bool {
		return f.Type == wire.TypeConversation && f.Decode(&got) == nil && got.ID == id && got.LastSeq == seq
	})
	if err != nil {
		t.Fatalf("await conversation %s at last_seq %d: %v", id, seq, err)
	}
	return got
}

// The inbox is live and read state is per agent, through the public API: an
// agent that never opened a conversation is told of each new message
// (last_seq, preview); one agent reading marks it read for that agent only;
// a closed conversation can be reopened.
func TestInboxIsLiveAndReadStateIsPerAgent(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	_, bTok := n.addAgent(tn, "Bob", "bob@acme.test")
	bob := n.dial(ctx, client.Options{Token: bTok.AccessToken})
	vtok, vis, conv := n.visitorChat(ctx, tn, "Vera")
	for i := 1; i <= 4; i++ {
		send(ctx, t, vis, conv.ID, fmt.Sprint("v", i), fmt.Sprintf("message number %d from Vera", i))
		got := awaitConversation(ctx, t, bob, conv.ID, int64(i))
		if want := fmt.Sprintf("message number %d from Vera", i); got.Preview != want || got.LastSenderKind != "visitor" {
			t.Fatalf("bob's inbox event %d: %+v, want preview %q", i, got, want)
		}
	}

	owner := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	if err := owner.Send(ctx, wire.TypeRead, "", wire.Read{ConversationID: conv.ID, Seq: 4}); err != nil {
		t.Fatal(err)
	}
	var rc wire.Receipt
	if _, err := bob.Await(ctx, func(f client.Frame) bool {
		return f.Type == wire.TypeReceipt && f.Decode(&rc) == nil && rc.AgentID == tn.ownerID
	}); err != nil || rc.Seq != 4 || rc.Side != "agent" {
		t.Fatalf("bob did not see the owner's receipt: %+v %v", rc, err)
	}
	if c := n.conversationAs(bTok.AccessToken, conv.ID); c.AgentReadSeq != 0 || c.UnreadCount == nil || *c.UnreadCount != 4 || c.Preview != "message number 4 from Vera" {
		t.Errorf("bob's view after the owner read: %+v, want agent_read_seq 0, unread_count 4", c)
	}
	if c := n.conversationAs(tn.owner.AccessToken, conv.ID); c.AgentReadSeq != 4 || c.UnreadCount == nil || *c.UnreadCount != 0 {
		t.Errorf("owner's view after reading: %+v, want agent_read_seq 4, unread_count 0", c)
	}
	if c := n.conversationAs(vtok, conv.ID); c.AgentReadSeq != 4 || c.UnreadCount != nil {
		t.Errorf("visitor's view: %+v, want the agent side (4) and no unread_count", c)
	}
	var list struct{ Conversations []restConversation }
	if code := n.call("GET", "/rest/v1/conversations", bTok.AccessToken, nil, &list); code != http.StatusOK || len(list.Conversations) != 1 ||
		list.Conversations[0].UnreadCount == nil || *list.Conversations[0].UnreadCount != 4 {
		t.Errorf("bob's list: %d %+v", code, list)
	}

	for _, step := range []struct{ typ, status string }{{wire.TypeConversationClose, "closed"}, {wire.TypeConversationReopen, "open"}} {
		if err := owner.Send(ctx, step.typ, step.typ, wire.ConversationRef{ConversationID: conv.ID}); err != nil {
			t.Fatal(err)
		}
		f, err := owner.Await(ctx, client.Reply(step.typ))
		var c wire.Conversation
		if err != nil || f.Type != wire.TypeConversation || f.Decode(&c) != nil || c.Status != step.status {
			t.Fatalf("%s: %v %s %s", step.typ, err, f.Type, f.Data)
		}
		if step.status == "open" && c.AssigneeID != tn.ownerID {
			t.Errorf("reopened conversation assigned to %q, want the owner", c.AssigneeID)
		}
	}
	send(ctx, t, vis, conv.ID, "v5", "thanks for reopening")
}

// inbox.watch narrows the per-message activity a connection receives;
// state changes still reach it.
func TestInboxWatchScopes(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	_, bTok := n.addAgent(tn, "Bob", "bob@acme.test")
	bob := n.dial(ctx, client.Options{Token: bTok.AccessToken})
	if err := bob.Send(ctx, wire.TypeInboxWatch, "w", wire.InboxWatch{Scope: "everything"}); err != nil {
		t.Fatal(err)
	}
	if f, err := bob.Await(ctx, client.Reply("w")); err != nil || f.Type != wire.TypeError {
		t.Fatalf("unknown scope: %v %s %s, want an error", err, f.Type, f.Data)
	}
	if err := bob.Send(ctx, wire.TypeInboxWatch, "", wire.InboxWatch{Scope: wire.ScopeNone}); err != nil {
		t.Fatal(err)
	}
	_, vis, conv := n.visitorChat(ctx, tn, "Vera")
	awaitConversation(ctx, t, bob, conv.ID, 0) // the start is a state change: it arrives
	send(ctx, t, vis, conv.ID, "v1", "hello")
	// The activity of that message, had it been sent, is queued before the
	// visitor's ack: a pong asked for now comes after it.
	if err := bob.Send(ctx, wire.TypePing, "after", nil); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := bob.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Ref == "after" {
			break
		}
		var c wire.Conversation
		if f.Type == wire.TypeConversation && f.Decode(&c) == nil && c.LastSeq == 1 {
			t.Fatalf("scope none received the message's activity: %s", f.Data)
		}
	}
	if err := bob.Send(ctx, wire.TypeInboxWatch, "", wire.InboxWatch{Scope: wire.ScopeMine}); err != nil {
		t.Fatal(err)
	}
	send(ctx, t, vis, conv.ID, "v2", "still unassigned") // the queue is Bob's too
	awaitConversation(ctx, t, bob, conv.ID, 2)
}
