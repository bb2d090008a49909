package brokertest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/hub"
)

var unsubscribeCases = []testCase{
	{"UnsubscribeStopsDelivery", testUnsubscribeStopsDelivery},
	{"UnsubscribeWaitsForACallInProgress", testUnsubscribeWaitsForACallInProgress},
	{"CallsOfOneSubscriptionAreSequential", testCallsOfOneSubscriptionAreSequential},
}

// Unsubscribing one of two subscribers stops its deliveries only; it is
// idempotent; the last one leaving and a new one arriving works again.
func testUnsubscribeStopsDelivery(t *testing.T, newNode func() hub.Broker) {
	a, b := newNode(), newNode()
	first, second := newInbox(), newInbox()
	unsubFirst := subscribe(t, b, "room", first)
	unsubSecond := subscribe(t, b, "room", second)
	publish(t, a, "room", "both")
	first.waitFor(t, "first", 1)
	second.waitFor(t, "second", 1)

	unsubFirst()
	unsubFirst() // idempotent
	publish(t, a, "room", "second only")
	barrier(t, a, "room", second, "m1") // the delivery of "second only" is over
	if got := first.all(); !slices.Equal(got, []string{"both"}) {
		t.Errorf("first subscriber got %q after unsubscribing, want only the payload before", got)
	}

	unsubSecond()
	marker := newInbox()
	subscribe(t, b, "marker", marker)
	publish(t, a, "room", "nobody")
	barrier(t, a, "marker", marker, "m2")
	again := newInbox()
	subscribe(t, b, "room", again)
	barrier(t, a, "room", again, "again")
	if got := second.all(); !slices.Equal(got, []string{"both", "second only", "m1"}) {
		t.Errorf("second subscriber got %q after unsubscribing", got)
	}
	if got := again.all(); !slices.Equal(got, []string{"again"}) {
		t.Errorf("a new subscriber after the last left got %q, want only what followed it", got)
	}
}

// Once unsubscribe returns, the callback is not called again: unsubscribe
// waits for a call in progress.
func testUnsubscribeWaitsForACallInProgress(t *testing.T, newNode func() hub.Broker) {
	b := newNode()
	entered, release := make(chan struct{}), make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseOnce) // a failing test must not leave a publisher or a receive loop stuck
	var calls, after atomic.Int32
	var left atomic.Bool
	unsub, err := b.Subscribe("slow", func([]byte) {
		if left.Load() {
			after.Add(1)
		}
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	published := make(chan error, 1)
	go func() { // an in-process broker calls back on the publisher's goroutine
		err := b.Publish(context.Background(), "slow", []byte("1"))
		if err == nil {
			err = b.Publish(context.Background(), "slow", []byte("2"))
		}
		published <- err
	}()
	select {
	case <-entered:
	case <-time.After(guard):
		t.Fatal("the callback was never called")
	}
	done := make(chan struct{})
	go func() {
		unsub()
		left.Store(true)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("unsubscribe returned while the callback was running")
	case <-time.After(50 * time.Millisecond): // no event to wait for: give a wrong unsubscribe time to return
	}
	releaseOnce()
	<-done
	if err := <-published; err != nil {
		t.Fatalf("publish: %v", err)
	}
	publish(t, b, "slow", "3")
	marker := newInbox()
	subscribe(t, b, "slow", marker)
	barrier(t, b, "slow", marker, "m")
	if n := after.Load(); n != 0 {
		t.Errorf("callback ran %d times after unsubscribe returned", n)
	}
}

// Calls for one subscription never overlap, even with publishers on
// several goroutines and nodes.
func testCallsOfOneSubscriptionAreSequential(t *testing.T, newNode func() hub.Broker) {
	nodes := []hub.Broker{newNode(), newNode()}
	var inFlight, overlaps atomic.Int32
	in := newInbox()
	unsub, err := nodes[0].Subscribe("room", func(p []byte) {
		if inFlight.Add(1) > 1 {
			overlaps.Add(1)
		}
		time.Sleep(50 * time.Microsecond) // widen the window an overlap needs
		in.fn(p)
		inFlight.Add(-1)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unsub)
	const publishers, each = 4, 25
	var wg sync.WaitGroup
	for g := range publishers {
		wg.Go(func() {
			for _, p := range sequence(fmt.Sprint("g", g), each) {
				if err := nodes[g%2].Publish(context.Background(), "room", []byte(p)); err != nil {
					t.Errorf("publish: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	in.waitFor(t, "subscriber", publishers*each)
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d calls of one subscription overlapped another", n)
	}
}
