package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// startRESTChat opens a conversation from a visitor socket and returns its id.
func startRESTChat(ctx context.Context, t *testing.T, vis *client.Conn) string {
	t.Helper()
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
	return conv.ID
}

type restMessage struct {
	Message struct {
		ID         string `json:"id"`
		Seq        int64  `json:"seq"`
		ClientID   string `json:"client_id"`
		SenderKind string `json:"sender_kind"`
		SenderID   string `json:"sender_id"`
		Text       string `json:"text"`
	} `json:"message"`
}

// A backend's POST /conversations/{id}/messages goes through the hub: the
// visitor's open WebSocket receives it live, as the caller agent's
// message; a repeated client_id is answered 200 with the stored message
// and not delivered again;
// POST /close reaches the socket too, and a send after it is 409
// conversation_closed.
func TestRESTMessageReachesVisitorSocket(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	vis := n.dial(ctx, client.Options{Token: n.visitor(tn, "Vera Visitor"), AuthFrame: true,
		WidgetKey: tn.widgetKey, Origin: tn.origin})
	convID := startRESTChat(ctx, t, vis)
	path := "/rest/v1/conversations/" + convID

	var sent restMessage
	body := map[string]any{"text": "sent by the backend", "client_id": "order-42"}
	if code := n.call("POST", path+"/messages", tn.owner.AccessToken, body, &sent); code != http.StatusCreated {
		t.Fatalf("send: status %d", code)
	}
	m := nextMessage(ctx, t, vis)
	if m.ID != sent.Message.ID || m.Seq != 1 || m.Text != "sent by the backend" || m.SenderKind != "agent" ||
		m.SenderID != tn.ownerID || m.ClientID != "order-42" {
		t.Fatalf("visitor got %+v, REST answered %+v", m, sent.Message)
	}
	var again restMessage
	if code := n.call("POST", path+"/messages", tn.owner.AccessToken, body, &again); code != http.StatusOK ||
		again.Message.ID != sent.Message.ID {
		t.Fatalf("repeat: status %d, %+v", code, again.Message)
	}
	// The repeat published nothing: the next frame is the next message.
	var second restMessage
	if code := n.call("POST", path+"/messages", tn.owner.AccessToken, map[string]any{"text": "second"}, &second); code != http.StatusCreated {
		t.Fatalf("second send: status %d", code)
	}
	if m := nextMessage(ctx, t, vis); m.Seq != 2 || m.Text != "second" || m.ID != second.Message.ID {
		t.Fatalf("after the repeat the visitor got %+v, want seq 2", m)
	}

	var closed struct {
		Conversation struct {
			ID, Status string
		} `json:"conversation"`
	}
	if code := n.call("POST", path+"/close", tn.owner.AccessToken, nil, &closed); code != http.StatusOK ||
		closed.Conversation.Status != "closed" {
		t.Fatalf("close: status %d, %+v", code, closed)
	}
	f, err := vis.Await(ctx, client.OfType(wire.TypeConversation))
	if err != nil {
		t.Fatalf("await closed conversation: %v", err)
	}
	var conv wire.Conversation
	if err := f.Decode(&conv); err != nil || conv.ID != convID || conv.Status != "closed" {
		t.Fatalf("visitor got %s (%v), want %s closed", f.Data, err, convID)
	}
	var refused struct {
		Error struct{ Code string } `json:"error"`
	}
	if code := n.call("POST", path+"/messages", tn.owner.AccessToken, map[string]any{"text": "too late"}, &refused); code != http.StatusConflict ||
		refused.Error.Code != "conversation_closed" {
		t.Fatalf("send after close: status %d, %+v", code, refused)
	}
}
