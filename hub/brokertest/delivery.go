package brokertest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/helpr-chat/helpr/hub"
)

var deliveryCases = []testCase{
	{"SubscribeIsActiveWhenItReturns", testSubscribeIsActiveWhenItReturns},
	{"OrderPerChannelOnEveryNode", testOrderPerChannelOnEveryNode},
	{"FanOutToEverySubscriberOnce", testFanOutToEverySubscriberOnce},
	{"ChannelsAreSeparate", testChannelsAreSeparate},
	{"PayloadIsCopiedAndBinarySafe", testPayloadIsCopiedAndBinarySafe},
	{"PublishWithCancelledContextFails", testPublishWithCancelledContextFails},
	{"PublishWithoutSubscribers", testPublishWithoutSubscribers},
	{"SubscribeRefusesNilCallback", testSubscribeRefusesNilCallback},
}

// Every payload published after Subscribe returned reaches the callback,
// on a fresh channel each time, from another node.
func testSubscribeIsActiveWhenItReturns(t *testing.T, newNode func() hub.Broker) {
	pub, sub := newNode(), newNode()
	for i := range 20 {
		ch := "fresh." + strconv.Itoa(i)
		in := newInbox()
		subscribe(t, sub, ch, in)
		publish(t, pub, ch, "first")
		if got := in.waitFor(t, ch, 1); got[0] != "first" {
			t.Fatalf("%s: got %q, want the first payload published after Subscribe returned", ch, got)
		}
	}
}

// Payloads one node publishes sequentially on a channel reach every
// subscriber, on its own node and on another, in publish order.
func testOrderPerChannelOnEveryNode(t *testing.T, newNode func() hub.Broker) {
	a, b := newNode(), newNode()
	local, remote := newInbox(), newInbox()
	subscribe(t, a, "room", local)
	subscribe(t, b, "room", remote)
	want := sequence("a", 200)
	for _, p := range want {
		publish(t, a, "room", p)
	}
	for name, in := range map[string]*inbox{"publisher's node": local, "other node": remote} {
		if got := in.waitFor(t, name, len(want)); !slices.Equal(got, want) {
			t.Errorf("%s: got %d payloads, in publish order: %v; want %d in order", name, len(got), slices.Equal(got, want), len(want))
		}
	}
}

// Several subscribers of a channel, on two nodes, each get every payload
// exactly once.
func testFanOutToEverySubscriberOnce(t *testing.T, newNode func() hub.Broker) {
	a, b := newNode(), newNode()
	var all []*inbox
	for _, node := range []hub.Broker{a, a, a, b, b} {
		in := newInbox()
		subscribe(t, node, "room", in)
		all = append(all, in)
	}
	want := sequence("p", 10)
	for _, p := range want {
		publish(t, b, "room", p)
	}
	for i, in := range all {
		if got := in.waitFor(t, "subscriber", len(want)); !slices.Equal(got, want) {
			t.Errorf("subscriber %d got %q, want %q", i, got, want)
		}
	}
	barrier(t, b, "room", all[0], "end")
	for i, in := range all {
		in.waitFor(t, "subscriber", len(want)+1)
		if got := in.all(); len(got) != len(want)+1 {
			t.Errorf("subscriber %d got %d payloads, want %d (each once)", i, len(got), len(want)+1)
		}
	}
}

// A subscriber of one channel never receives another channel's payloads,
// even one whose name it is a prefix of.
func testChannelsAreSeparate(t *testing.T, newNode func() hub.Broker) {
	a, b := newNode(), newNode()
	room, other, longer := newInbox(), newInbox(), newInbox()
	subscribe(t, b, "room", room)
	subscribe(t, b, "other", other)
	subscribe(t, b, "room.1", longer)
	publish(t, a, "other", "for other")
	publish(t, a, "room.1", "for room.1")
	barrier(t, a, "other", other, "other end")
	barrier(t, a, "room.1", longer, "room.1 end")
	barrier(t, a, "room", room, "room end")
	if got := room.all(); !slices.Equal(got, []string{"room end"}) {
		t.Errorf("room got %q, want only its own payload", got)
	}
	if got := other.all(); !slices.Equal(got, []string{"for other", "other end"}) {
		t.Errorf("other got %q", got)
	}
	if got := longer.all(); !slices.Equal(got, []string{"for room.1", "room.1 end"}) {
		t.Errorf("room.1 got %q", got)
	}
}

// Publish does not keep the payload: the publisher may reuse its buffer at
// once. Payloads are bytes, not text: every byte value, an empty payload
// and a large one arrive unchanged.
func testPayloadIsCopiedAndBinarySafe(t *testing.T, newNode func() hub.Broker) {
	a, b := newNode(), newNode()
	local, remote := newInbox(), newInbox()
	subscribe(t, a, "bin", local)
	subscribe(t, b, "bin", remote)
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	large := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	want := []string{string(binary), "", string(large)}
	buf := make([]byte, 0, len(large))
	for _, p := range want {
		buf = append(buf[:0], p...)
		if err := a.Publish(context.Background(), "bin", buf); err != nil {
			t.Fatalf("publish %d bytes: %v", len(p), err)
		}
		for i := range buf {
			buf[i] = 'X' // the publisher reuses its buffer
		}
	}
	for name, in := range map[string]*inbox{"publisher's node": local, "other node": remote} {
		got := in.waitFor(t, name, len(want))
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: payload %d (%d bytes) arrived changed (%d bytes)", name, i, len(want[i]), len(got[i]))
			}
		}
	}
}

// A Publish whose context is already cancelled fails and hands nothing
// over.
func testPublishWithCancelledContextFails(t *testing.T, newNode func() hub.Broker) {
	a := newNode()
	in := newInbox()
	subscribe(t, a, "room", in)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Publish(ctx, "room", []byte("cancelled")); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish with a cancelled context: %v, want an error wrapping context.Canceled", err)
	}
	barrier(t, a, "room", in, "after")
	if got := in.all(); !slices.Equal(got, []string{"after"}) {
		t.Errorf("got %q, want only the payload published with a live context", got)
	}
}

// Publishing on a channel nobody subscribes to succeeds and reaches no
// later subscriber.
func testPublishWithoutSubscribers(t *testing.T, newNode func() hub.Broker) {
	a, b := newNode(), newNode()
	publish(t, a, "empty", "into the void")
	in := newInbox()
	subscribe(t, b, "empty", in)
	barrier(t, a, "empty", in, "after")
	if got := in.all(); !slices.Equal(got, []string{"after"}) {
		t.Errorf("a later subscriber got %q, want only what was published after it subscribed", got)
	}
}

// A nil callback is refused with an error, and nothing is subscribed: a
// later Publish on the channel must not reach it (and crash the publisher
// or the receive loop).
func testSubscribeRefusesNilCallback(t *testing.T, newNode func() hub.Broker) {
	a := newNode()
	unsub, err := a.Subscribe("room", nil)
	if err == nil {
		unsub()
		t.Fatal("Subscribe with a nil callback succeeded")
	}
	in := newInbox()
	subscribe(t, a, "room", in)
	barrier(t, a, "room", in, "after")
}
