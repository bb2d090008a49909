package redisbroker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

// guard bounds every wait of these tests: it only turns a deadlock into a
// failure, it never measures speed.
const guard = 20 * time.Second

// newClient returns a go-redis client of url, closed at the end of the test.
func newClient(t testing.TB, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// newBroker returns a broker over a client of url, closed at the end of
// the test (before its client).
func newBroker(t testing.TB, url string, opts Options) (*Broker, *redis.Client) {
	t.Helper()
	rdb := newClient(t, url)
	b := New(rdb, opts)
	t.Cleanup(func() { _ = b.Close() })
	return b, rdb
}

// fastOptions reconnect quickly, as tests restart Redis.
func fastOptions() Options {
	return Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, PublishTimeout: 500 * time.Millisecond}
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
	return append([]string(nil), in.got...)
}

// waitFor waits until at least n payloads arrived and returns them.
func (in *inbox) waitFor(t testing.TB, n int) []string {
	t.Helper()
	deadline := time.After(guard)
	for {
		if got := in.all(); len(got) >= n {
			return got
		}
		select {
		case <-in.notify:
		case <-deadline:
			t.Fatalf("waited %v for %d payloads, got %d: %q", guard, n, len(in.all()), in.all())
		}
	}
}

// waitUntil polls cond until it holds; the guard only catches deadlocks.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", guard, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// numSub returns how many connections Redis has subscribed to channel.
func numSub(t testing.TB, rdb *redis.Client, channel string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	m, err := rdb.PubSubNumSub(ctx, channel).Result()
	if err != nil {
		t.Fatalf("PUBSUB NUMSUB %s: %v", channel, err)
	}
	return m[channel]
}

// subscribe subscribes in to channel on b, failing the test on error; the
// subscription ends with the test.
func subscribe(t testing.TB, b *Broker, channel string, in *inbox) func() {
	t.Helper()
	unsub, err := b.Subscribe(channel, in.fn)
	if err != nil {
		t.Fatalf("subscribe %s: %v", channel, err)
	}
	t.Cleanup(unsub)
	return unsub
}

// publish publishes payload on channel, failing the test on error.
func publish(t testing.TB, b *Broker, channel, payload string) {
	t.Helper()
	if err := b.Publish(context.Background(), channel, []byte(payload)); err != nil {
		t.Fatalf("publish %s on %s: %v", payload, channel, err)
	}
}

// redisServer starts a dedicated Redis for one test.
func redisServer(t testing.TB) *testsvc.RedisServer {
	t.Helper()
	return testsvc.NewRedis(t)
}
