package hub

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

func TestHubsShareRoomsThroughTheMemoryBroker(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, Options{})
	b := NewMemoryBroker()
	var errs []error
	onErr := func(err error) { errs = append(errs, err) }
	h1 := New(e.store, e.codec, Options{Broker: b, NodeID: "n1", OnError: onErr})
	h2 := New(e.store, e.codec, Options{Broker: b, NodeID: "n2", OnError: onErr})
	ctx := context.Background()
	v := e.org.visitor()
	inbox2 := &recorder{}
	cancel := h2.SubscribeInbox(e.org.agents[0], inbox2)
	c, err := h1.StartConversation(ctx, v, e.org.widgetID)
	if err != nil {
		t.Fatal(err)
	}
	local, remote := &recorder{}, &recorder{}
	m1, err := h1.Join(ctx, v, c.ID, 0, local)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := h2.Join(ctx, e.org.agents[0], c.ID, 0, remote)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, _, err := h1.Send(ctx, v, c.ID, fmt.Sprint(i), "hi"); err != nil {
			t.Fatal(err)
		}
	}
	if err := h1.Typing(ctx, v, c.ID, true); err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, "member on the sending node", local.seqs(t), 1, 5)
	wantSeqs(t, "member on the other node", remote.seqs(t), 1, 5)
	if n := len(remote.events(t, EventTyping)); n != 1 {
		t.Errorf("other node got %d typing events, want 1", n)
	}
	if n := len(local.all()); n != 6 {
		t.Errorf("sending node's member got %d frames, want 6 (its own broker payloads ignored)", n)
	}
	h1.Connect(e.org.agents[1])()
	if got := presenceLog(t, inbox2); len(got) != 2 {
		t.Errorf("other node's inbox got presence %v, want online then offline", got)
	}
	if n := len(inbox2.events(t, EventConversation)); n != 1 {
		t.Errorf("other node's inbox got %d conversation events, want 1", n)
	}
	room := roomChannel(e.org.id, c.ID)
	if n := b.Subscriptions(room); n != 2 {
		t.Errorf("room has %d broker subscriptions, want one per node (2)", n)
	}
	m2.Leave()
	if n := b.Subscriptions(room); n != 1 {
		t.Errorf("after the last member of a node left: %d subscriptions, want 1", n)
	}
	m1.Leave()
	cancel()
	if n := b.Subscriptions(room) + b.Subscriptions(inboxChannel(e.org.id)); n != 0 {
		t.Errorf("%d broker subscriptions left, want 0", n)
	}
	if n := h1.roomCount() + h2.roomCount(); n != 0 {
		t.Errorf("%d rooms left, want 0", n)
	}
	if len(errs) != 0 {
		t.Errorf("OnError got %v", errs)
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	t.Parallel()
	f := Frame{ConversationID: "cnv_x", Seq: 42, Data: []byte(`{"a":1}`)}
	origin, got, err := decodePayload(encodePayload("node_1", f))
	if err != nil || origin != "node_1" || got.ConversationID != f.ConversationID || got.Seq != 42 || !bytes.Equal(got.Data, f.Data) {
		t.Fatalf("round trip: %q %+v %v", origin, got, err)
	}
	for _, bad := range [][]byte{nil, {2}, {1, 10, 'a'}, {1, 0, 0}, {1, 0, 0, 1}} {
		if _, _, err := decodePayload(bad); err == nil {
			t.Errorf("decodePayload(%v) accepted a malformed payload", bad)
		}
	}
}

func FuzzDecodePayload(f *testing.F) {
	f.Add(encodePayload("n", Frame{ConversationID: "c", Seq: 1, Data: []byte("x")}))
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, p []byte) {
		origin, fr, err := decodePayload(p)
		if err != nil {
			return
		}
		again := encodePayload(origin, fr)
		o2, f2, err := decodePayload(again)
		if err != nil || o2 != origin || f2.ConversationID != fr.ConversationID || f2.Seq != fr.Seq || !bytes.Equal(f2.Data, fr.Data) {
			t.Fatalf("re-encoding changed the payload: %q %+v %v", o2, f2, err)
		}
	})
}
