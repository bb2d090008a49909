package brokertest

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/helpr-chat/helpr/hub"
)

var closeCases = []testCase{
	{"ClosedBrokerRefusesAndStaysQuiet", testClosedBrokerRefusesAndStaysQuiet},
}

// closer is a broker that can be stopped (a network broker holds a
// connection and goroutines; an in-process one has nothing to stop).
type closer interface{ Close() error }

// After Close, Publish and Subscribe fail, no callback of the closed
// broker runs, unsubscribe functions stay callable and Close is
// idempotent; the other nodes carry on.
func testClosedBrokerRefusesAndStaysQuiet(t *testing.T, newNode func() hub.Broker) {
	a, b := newNode(), newNode()
	c, ok := b.(closer)
	if !ok {
		t.Skipf("%T has no Close method: nothing to close", b)
	}
	if a == b {
		t.Fatalf("newNode returned the same closable broker twice: the suite cannot close one node")
	}
	var calls atomic.Int32
	unsub, err := b.Subscribe("room", func([]byte) { calls.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := b.Subscribe("other", func([]byte) {}); err == nil {
		t.Error("Subscribe after Close succeeded")
	}
	if err := b.Publish(context.Background(), "room", []byte("x")); err == nil {
		t.Error("Publish after Close succeeded")
	}
	in := newInbox()
	subscribe(t, a, "room", in)
	barrier(t, a, "room", in, "after close")
	unsub() // still callable
	unsub()
	if n := calls.Load(); n != 0 {
		t.Errorf("the closed broker's callback ran %d times", n)
	}
	if got := in.all(); !slices.Equal(got, []string{"after close"}) {
		t.Errorf("the open node got %q", got)
	}
}
