package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Delivery, ordering and unsubscribing are brokertest's (conformance_test.go);
// these are the Redis side of them: one Redis subscription per node and
// channel, confirmed when Subscribe returns, dropped with the last local
// subscriber.
func TestOneRedisSubscriptionPerNodeAndChannel(t *testing.T) {
	t.Parallel()
	url := redisServer(t).URL()
	a, rdb := newBroker(t, url, Options{})
	b, _ := newBroker(t, url, Options{})
	for i := range 5 {
		ch := fmt.Sprintf("fresh.%d", i)
		subscribe(t, b, ch, newInbox())
		if n := numSub(t, rdb, ch); n != 1 {
			t.Fatalf("%s: Redis counts %d subscribers right after Subscribe returned, want 1", ch, n)
		}
	}
	unsubFirst := subscribe(t, b, "room", newInbox())
	unsubSecond := subscribe(t, a, "room", newInbox())
	unsubThird := subscribe(t, b, "room", newInbox())
	if n := numSub(t, rdb, "room"); n != 2 {
		t.Fatalf("three subscribers on two nodes: Redis counts %d subscriptions, want 2 (one per node)", n)
	}
	unsubFirst()
	if n := numSub(t, rdb, "room"); n != 2 {
		t.Fatalf("after the first of b's two left: %d subscriptions, want 2", n)
	}
	unsubThird()
	unsubSecond()
	waitUntil(t, "UNSUBSCRIBE to reach Redis", func() bool { return numSub(t, rdb, "room") == 0 })
}

func TestReconnectsAfterRedisRestart(t *testing.T) {
	t.Parallel()
	srv := redisServer(t)
	a, _ := newBroker(t, srv.URL(), fastOptions())
	b, rdb := newBroker(t, srv.URL(), fastOptions())
	resubscribed := make(chan struct{}, 8)
	b.OnResubscribe(func() { resubscribed <- struct{}{} })
	publisherBack := make(chan struct{}, 8)
	a.OnResubscribe(func() { publisherBack <- struct{}{} })
	in1, in2 := newInbox(), newInbox()
	subscribe(t, b, "c1", in1)
	subscribe(t, b, "c2", in2)
	publish(t, a, "c1", "before")
	in1.waitFor(t, 1)

	srv.Stop()
	if err := publishOutcome(t, a, "c1", "during"); err == nil {
		t.Fatal("Publish succeeded while Redis was down")
	}
	// Subscribe waits for the broker's reconnection attempt, which fails.
	if _, err := b.Subscribe("during", newInbox().fn); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Subscribe during the outage: %v, want ErrUnavailable", err)
	}
	if err := publishOutcome(t, b, "c1", "during"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Publish once the outage is known: %v, want ErrUnavailable at once", err)
	}
	select {
	case <-resubscribed:
		t.Fatal("OnResubscribe ran while Redis was down")
	default:
	}

	srv.Start()
	for _, ch := range []chan struct{}{resubscribed, publisherBack} {
		select {
		case <-ch:
		case <-time.After(guard):
			t.Fatalf("no OnResubscribe within %v of Redis coming back", guard)
		}
	}
	for _, ch := range []string{"c1", "c2"} {
		if n := numSub(t, rdb, ch); n != 1 {
			t.Errorf("%s after the reconnect: Redis counts %d subscriptions, want 1", ch, n)
		}
	}
	publish(t, a, "c1", "after")
	publish(t, a, "c2", "after")
	if got := in1.waitFor(t, 2); !slices.Equal(got, []string{"before", "after"}) {
		t.Errorf("c1 got %q, want before, after", got)
	}
	if got := in2.waitFor(t, 1); !slices.Equal(got, []string{"after"}) {
		t.Errorf("c2 got %q, want after", got)
	}
	subscribe(t, b, "c3", newInbox()) // subscribing works again
}

// publishOutcome publishes and returns the error; it fails the test when
// Publish does not return within the guard.
func publishOutcome(t *testing.T, b *Broker, ch, payload string) error {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- b.Publish(context.Background(), ch, []byte(payload)) }()
	select {
	case err := <-done:
		t.Logf("Publish returned %v after %v", err, time.Since(start))
		return err
	case <-time.After(guard):
		t.Fatalf("Publish blocked for %v", guard)
		return nil
	}
}

func TestReconnectsWhenRedisDropsTheConnection(t *testing.T) {
	t.Parallel()
	url := redisServer(t).URL()
	a, _ := newBroker(t, url, fastOptions())
	b, rdb := newBroker(t, url, fastOptions())
	resubscribed := make(chan struct{}, 8)
	b.OnResubscribe(func() { resubscribed <- struct{}{} })
	in := newInbox()
	subscribe(t, b, "room", in)
	ctx := context.Background()
	killed, err := rdb.ClientKillByFilter(ctx, "TYPE", "pubsub").Result()
	if err != nil || killed < 1 {
		t.Fatalf("CLIENT KILL TYPE pubsub: %d, %v", killed, err)
	}
	select {
	case <-resubscribed:
	case <-time.After(guard):
		t.Fatalf("no OnResubscribe within %v of the connection drop", guard)
	}
	publish(t, a, "room", "after")
	if got := in.waitFor(t, 1); got[0] != "after" {
		t.Errorf("got %q", got)
	}
}

func TestSubscribeFailsFastWhenRedisIsUnreachable(t *testing.T) {
	t.Parallel()
	srv := redisServer(t)
	url := srv.URL()
	srv.Stop() // the port is free: nothing listens there
	b, _ := newBroker(t, url, fastOptions())
	resubscribed := make(chan struct{}, 1)
	b.OnResubscribe(func() { resubscribed <- struct{}{} })
	if _, err := b.Subscribe("room", newInbox().fn); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Subscribe with Redis down: %v, want ErrUnavailable", err)
	}
	if err := publishOutcome(t, b, "room", "x"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Publish with Redis down: %v, want ErrUnavailable", err)
	}
	srv.Start()
	select {
	case <-resubscribed: // the moment to subscribe again
	case <-time.After(guard):
		t.Fatalf("no OnResubscribe within %v of Redis coming up", guard)
	}
	in := newInbox()
	subscribe(t, b, "room", in)
	publish(t, b, "room", "up")
	in.waitFor(t, 1)
}

// TestCloseStopsEverything is not parallel: it checks that no broker
// goroutine runs once Close returned, so no other broker may exist.
func TestCloseStopsEverything(t *testing.T) {
	url := redisServer(t).URL()
	a, rdb := newBroker(t, url, Options{})
	b, _ := newBroker(t, url, Options{})
	var calls atomic.Int32
	unsub, err := b.Subscribe("room", func([]byte) { calls.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if g := settledBrokerGoroutines(); len(g) != 0 {
		t.Fatalf("broker goroutines still running after Close returned:\n%s", strings.Join(g, "\n\n"))
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	a, _ = newBroker(t, url, Options{})
	waitUntil(t, "the closed broker's subscription to leave Redis", func() bool { return numSub(t, rdb, "room") == 0 })
	publish(t, a, "room", "after close")
	if _, err := b.Subscribe("other", func([]byte) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
	if err := b.Publish(context.Background(), "room", []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	unsub() // still callable
	if n := calls.Load(); n != 0 {
		t.Errorf("callback ran %d times after Close", n)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	t.Parallel()
	lo, hi := 50*time.Millisecond, 5*time.Second
	for n, want := range []time.Duration{lo, 2 * lo, 4 * lo, 8 * lo} {
		for range 50 {
			if d := backoff(lo, hi, n); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, want/2, want)
			}
		}
	}
	for _, n := range []int{7, 8, 100, 1 << 20} {
		if d := backoff(lo, hi, n); d < hi/2 || d > hi {
			t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, hi/2, hi)
		}
	}
}

// brokerGoroutines returns the stacks of goroutines running a Broker
// method.
// settledBrokerGoroutines is brokerGoroutines once goroutines that are
// merely returning have gone: Close waits for their last deferred call, not
// for the runtime to retire them. A goroutine still there after a second
// is blocked, not exiting.
func settledBrokerGoroutines() []string {
	g := brokerGoroutines()
	for deadline := time.Now().Add(time.Second); len(g) > 0 && time.Now().Before(deadline); g = brokerGoroutines() {
		time.Sleep(5 * time.Millisecond)
	}
	return g
}

func brokerGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "redisbroker.(*Broker)") {
			out = append(out, g)
		}
	}
	return out
}

func TestChurnKeepsSubscriptionsInStepWithRedis(t *testing.T) {
	t.Parallel()
	url := redisServer(t).URL()
	a, rdb := newBroker(t, url, Options{})
	b, _ := newBroker(t, url, Options{})
	channels := []string{"churn.0", "churn.1", "churn.2"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				ch := channels[(g+i)%len(channels)]
				token := fmt.Sprintf("%d/%d", g, i)
				in := newInbox()
				unsub, err := b.Subscribe(ch, in.fn)
				if err != nil {
					t.Errorf("subscribe %s: %v", ch, err)
					return
				}
				if err := a.Publish(context.Background(), ch, []byte(token)); err != nil {
					t.Errorf("publish: %v", err)
					unsub()
					return
				}
				if !in.waitForToken(token) {
					t.Errorf("%s: subscriber %s never received its own payload (subscription not active on return)", ch, token)
				}
				unsub()
			}
		})
	}
	wg.Wait()
	for _, ch := range channels {
		waitUntil(t, ch+" to be unsubscribed on Redis", func() bool { return numSub(t, rdb, ch) == 0 })
	}
}

// waitForToken waits until token arrived, within the guard.
func (in *inbox) waitForToken(token string) bool {
	deadline := time.After(guard)
	for {
		if slices.Contains(in.all(), token) {
			return true
		}
		select {
		case <-in.notify:
		case <-deadline:
			return false
		}
	}
}
