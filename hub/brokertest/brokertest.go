// Package brokertest is the conformance suite every hub.Broker runs, in
// the manner of storage/storetest: a broker's own test calls
//
//	brokertest.Run(t, func(t *testing.T) func() hub.Broker { return newBus(t) })
//
// and each subtest exercises one promise of the hub.Broker contract on a
// fresh bus. The suite uses nothing but the hub package, so it holds the
// in-process broker and the Redis one to the same contract.
package brokertest

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/hub"
)

// guard bounds every wait of the suite: it turns a lost payload or a
// deadlock into a failure, it never measures speed.
const guard = 20 * time.Second

// Run runs the conformance suite. newBus is called once per subtest,
// possibly from parallel subtests, and returns a function that makes one
// node's broker on a new bus: brokers made by one bus's function exchange
// payloads, brokers of different buses share nothing. An in-process broker
// may return the same broker for every node (every hub of the process
// shares it). newBus closes what it made with t.Cleanup.
//
// A broker with a Close() error method is also held to the closed-broker
// promises: after Close, Publish and Subscribe fail, no callback runs and
// unsubscribe functions stay callable.
func Run(t *testing.T, newBus func(t *testing.T) (newNode func() hub.Broker)) {
	t.Helper()
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newBus(t))
		})
	}
}

type testCase struct {
	name string
	fn   func(t *testing.T, newNode func() hub.Broker)
}

func cases() []testCase {
	var all []testCase
	for _, group := range [][]testCase{deliveryCases, unsubscribeCases, concurrencyCases, closeCases} {
		all = append(all, group...)
	}
	return all
}

// inbox records the payloads one subscription receives.
type inbox struct {
	mu     sync.Mutex
	got    []string
	notify chan struct{} // a token after each payload
}

func newInbox() *inbox { return &inbox{notify: make(chan struct{}, 1)} }

// fn is the broker callback.
func (in *inbox) fn(p []byte) {
	in.mu.Lock()
	in.got = append(in.got, string(p))
	in.mu.Unlock()
	select {
	case in.notify <- struct{}{}:
	default:
	}
}

// all returns a copy of what arrived so far.
func (in *inbox) all() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.got)
}

// waitFor waits until at least n payloads arrived and returns them.
func (in *inbox) waitFor(t *testing.T, what string, n int) []string {
	t.Helper()
	deadline := time.After(guard)
	for {
		if got := in.all(); len(got) >= n {
			return got
		}
		select {
		case <-in.notify:
		case <-deadline:
			t.Fatalf("%s: waited %v for %d payloads, got %d: %.200q", what, guard, n, len(in.all()), in.all())
		}
	}
}

// waitForPayload waits until p arrived; false after the guard.
func (in *inbox) waitForPayload(p string) bool {
	deadline := time.After(guard)
	for {
		if slices.Contains(in.all(), p) {
			return true
		}
		select {
		case <-in.notify:
		case <-deadline:
			return false
		}
	}
}

// subscribe subscribes in to channel on b, failing the test on error; the
// subscription ends with the test.
func subscribe(t *testing.T, b hub.Broker, channel string, in *inbox) func() {
	t.Helper()
	unsub, err := b.Subscribe(channel, in.fn)
	if err != nil {
		t.Fatalf("subscribe %s: %v", channel, err)
	}
	t.Cleanup(unsub)
	return unsub
}

// publish publishes payload on channel, failing the test on error.
func publish(t *testing.T, b hub.Broker, channel, payload string) {
	t.Helper()
	if err := b.Publish(context.Background(), channel, []byte(payload)); err != nil {
		t.Fatalf("publish %.40q on %s: %v", payload, channel, err)
	}
}

// barrier publishes marker on channel, where in is subscribed on a node
// that also holds the subscriptions under test, and waits for it: every
// payload published on that channel before it has been handed over.
func barrier(t *testing.T, b hub.Broker, channel string, in *inbox, marker string) {
	t.Helper()
	publish(t, b, channel, marker)
	if !in.waitForPayload(marker) {
		t.Fatalf("marker %q on %s never arrived", marker, channel)
	}
}

// sequence returns n payloads "prefix/0" … "prefix/n-1".
func sequence(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + "/" + strconv.Itoa(i)
	}
	return out
}
