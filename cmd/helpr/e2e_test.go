package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// send posts a message and returns its ack.
func send(ctx context.Context, t *testing.T, c *client.Conn, convID, clientID, text string) wire.Ack {
	t.Helper()
	ref := "r-" + clientID
	if err := c.Send(ctx, wire.TypeMessageSend, ref, wire.MessageSend{ConversationID: convID, ClientID: clientID, Text: text}); err != nil {
		t.Fatalf("send %s: %v", clientID, err)
	}
	f, err := c.Await(ctx, client.Reply(ref))
	if err != nil {
		t.Fatalf("await ack %s: %v", clientID, err)
	}
	if f.Type != wire.TypeAck {
		t.Fatalf("send %s: got %s %s, want ack", clientID, f.Type, f.Data)
	}
	var ack wire.Ack
	if err := f.Decode(&ack); err != nil {
		t.Fatal(err)
	}
	return ack
}

// join joins a conversation after afterSeq and returns the replayed messages
// and the joined frame's last seq.
func join(ctx context.Context, t *testing.T, c *client.Conn, convID string, afterSeq int64) ([]wire.Message, int64) {
	t.Helper()
	ref := fmt.Sprintf("join-%s-%d", convID, afterSeq)
	if err := c.Send(ctx, wire.TypeConversationJoin, ref, wire.ConversationJoin{ConversationID: convID, AfterSeq: afterSeq}); err != nil {
		t.Fatalf("join: %v", err)
	}
	var got []wire.Message
	for {
		f, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("join replay: %v", err)
		}
		switch {
		case f.Type == wire.TypeMessage:
			var m wire.Message
			if err := f.Decode(&m); err != nil {
				t.Fatal(err)
			}
			if m.ConversationID == convID {
				got = append(got, m)
			}
		case f.Ref == ref && f.Type == wire.TypeJoined:
			var j wire.Joined
			if err := f.Decode(&j); err != nil {
				t.Fatal(err)
			}
			return got, j.LastSeq
		case f.Ref == ref:
			t.Fatalf("join: got %s %s", f.Type, f.Data)
		}
	}
}

// nextMessage waits for the next chat message frame.
func nextMessage(ctx context.Context, t *testing.T, c *client.Conn) wire.Message {
	t.Helper()
	f, err := c.Await(ctx, client.OfType(wire.TypeMessage))
	if err != nil {
		t.Fatalf("await message: %v", err)
	}
	var m wire.Message
	if err := f.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestChatEndToEnd drives the whole product through its public surfaces: an
// organisation registers, an agent and a visitor chat over real WebSockets,
// the server restarts between two messages, and reconnecting clients get
// exactly their gap.
func TestChatEndToEnd(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	visitorToken := n.visitor(tn, "Vera Visitor")

	agent := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	vis := n.dial(ctx, client.Options{Token: visitorToken, AuthFrame: true, WidgetKey: tn.widgetKey, Origin: tn.origin})

	// The visitor opens a chat; the only online agent is assigned and told.
	if err := vis.Send(ctx, wire.TypeConversationStart, "start", nil); err != nil {
		t.Fatal(err)
	}
	f, err := vis.Await(ctx, client.Reply("start"))
	if err != nil || f.Type != wire.TypeConversation {
		t.Fatalf("start: %v %s %s", err, f.Type, f.Data)
	}
	var conv wire.Conversation
	if err := f.Decode(&conv); err != nil {
		t.Fatal(err)
	}
	inbox, err := agent.Await(ctx, client.OfType(wire.TypeConversation))
	if err != nil {
		t.Fatalf("agent inbox: %v", err)
	}
	var assigned wire.Conversation
	_ = inbox.Decode(&assigned)
	if assigned.ID != conv.ID || assigned.AssigneeID != tn.ownerID {
		t.Fatalf("inbox event %+v, want conversation %s assigned to %s", assigned, conv.ID, tn.ownerID)
	}
	if replay, last := join(ctx, t, agent, conv.ID, 0); len(replay) != 0 || last != 0 {
		t.Fatalf("fresh join replayed %d, last %d", len(replay), last)
	}

	// Both directions, in order.
	if ack := send(ctx, t, vis, conv.ID, "v1", "hello, I need help"); ack.Seq != 1 {
		t.Fatalf("first ack seq %d", ack.Seq)
	}
	if m := nextMessage(ctx, t, agent); m.Seq != 1 || m.Text != "hello, I need help" || m.SenderKind != "visitor" {
		t.Fatalf("agent got %+v", m)
	}
	if ack := send(ctx, t, agent, conv.ID, "a1", "happy to help"); ack.Seq != 2 {
		t.Fatalf("reply ack seq %d", ack.Seq)
	}
	if m := nextMessage(ctx, t, vis); m.Seq != 2 || m.Text != "happy to help" {
		t.Fatalf("visitor got %+v", m)
	}

	// Restart the server between two messages: clients are told to go away.
	addr, firstLogs := n.addr(), n.logs
	n.stop()
	if _, err := vis.Next(ctx); client.CloseStatus(err) != int(wire.CloseGoingAway) {
		t.Fatalf("visitor close status on shutdown: %v", err)
	}
	n = startNode(t, dir, addr)
	agent = n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	vis = n.dial(ctx, client.Options{Token: visitorToken, WidgetKey: tn.widgetKey, Origin: tn.origin})
	if replay, last := join(ctx, t, vis, conv.ID, 2); len(replay) != 0 || last != 2 {
		t.Fatalf("after restart: replayed %d, last %d; want 0, 2", len(replay), last)
	}
	if replay, _ := join(ctx, t, agent, conv.ID, 0); len(replay) != 2 || replay[0].Seq != 1 || replay[1].Seq != 2 {
		t.Fatalf("acked messages after restart: %+v", replay)
	}
	if ack := send(ctx, t, vis, conv.ID, "v2", "still there?"); ack.Seq != 3 {
		t.Fatalf("ack after restart seq %d", ack.Seq)
	}
	if m := nextMessage(ctx, t, agent); m.Seq != 3 {
		t.Fatalf("agent got seq %d after restart", m.Seq)
	}

	// The agent drops; the visitor sends two; the agent reconnects and gets
	// exactly that gap, then live messages.
	_ = agent.CloseNow()
	send(ctx, t, vis, conv.ID, "v3", "message four")
	send(ctx, t, vis, conv.ID, "v4", "message five")
	agent = n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	replay, last := join(ctx, t, agent, conv.ID, 3)
	if len(replay) != 2 || replay[0].Seq != 4 || replay[1].Seq != 5 || last != 5 {
		t.Fatalf("gap replay %+v last %d, want seqs 4,5", replay, last)
	}
	send(ctx, t, vis, conv.ID, "v5", "message six")
	if m := nextMessage(ctx, t, agent); m.Seq != 6 {
		t.Fatalf("live after gap: seq %d", m.Seq)
	}

	// A resent client id is acknowledged again, never duplicated.
	if ack := send(ctx, t, vis, conv.ID, "v5", "message six"); ack.Seq != 6 || !ack.Duplicate {
		t.Fatalf("resend ack %+v", ack)
	}

	// REST history agrees, in order.
	var hist struct {
		Messages []struct {
			Seq  int64  `json:"seq"`
			Text string `json:"text"`
		} `json:"messages"`
	}
	if code := n.call("GET", "/rest/v1/conversations/"+conv.ID+"/messages", tn.owner.AccessToken, nil, &hist); code != http.StatusOK {
		t.Fatalf("history status %d", code)
	}
	if len(hist.Messages) != 6 {
		t.Fatalf("history has %d messages, want 6", len(hist.Messages))
	}
	for i, m := range hist.Messages {
		if m.Seq != int64(i+1) {
			t.Fatalf("history out of order: %+v", hist.Messages)
		}
	}

	// Nothing secret or personal reached the logs.
	logs := firstLogs.String() + n.logs.String()
	if !strings.Contains(logs, "/rest/v1/auth/login") || !strings.Contains(logs, "helpr serving") {
		t.Fatalf("the debug logs this check reads are missing:\n%s", logs)
	}
	for _, secret := range []string{tn.owner.AccessToken, tn.owner.RefreshToken, visitorToken, "correct horse battery", "Vera Visitor", "owner@acme.test"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret or PII: %q", secret)
		}
	}
}
