package redislimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

// t0 is a whole second, so second-precision boundaries are easy to read.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is an injected clock that moves only when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t0+d.
func (c *clock) Set(d time.Duration) { c.mu.Lock(); c.t = t0.Add(d); c.mu.Unlock() }

// client returns a client of srv, closed at the end of the test.
func client(t testing.TB, srv *testsvc.RedisServer) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.DialerRetries = 1 // an outage test fails fast; command retries stay at the default
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second) // deadlock guard
	t.Cleanup(cancel)
	return c
}

// Two nodes (two clients, two Windows) share one limit exactly.
func TestWindowIsExactUnderConcurrencyAcrossNodes(t *testing.T) {
	srv := testsvc.NewRedis(t)
	c := newClock()
	nodes := []*Window{
		New(client(t, srv), "test:shared", 50, time.Minute, c.Now),
		New(client(t, srv), "test:shared", 50, time.Minute, c.Now),
	}
	var allowed, failed atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := nodes[i%2].Allow(ctx(t), "shared")
			if err != nil {
				failed.Add(1)
			}
			if ok {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 50 || failed.Load() != 0 {
		t.Fatalf("allowed %d of 200 concurrent calls (%d errors), want exactly 50", allowed.Load(), failed.Load())
	}
}

func TestWindowKeysAreHashedAndExpire(t *testing.T) {
	rdb := client(t, testsvc.NewRedis(t))
	c := newClock()
	const email = "ada*{x}:y\r\n@acme.test" // user input with glob, hash-tag and separator characters
	other := New(rdb, "test:login:other", 1, 10*time.Second, c.Now)
	w := New(rdb, "test:login", 1, 10*time.Second, c.Now)
	for _, win := range []*Window{w, other} {
		if ok, _, err := win.Allow(ctx(t), email); !ok || err != nil {
			t.Fatalf("first attempt under %s refused: %v", win.prefix, err)
		}
	}
	keys, err := rdb.Keys(ctx(t), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(email))
	want := "test:login:" + hex.EncodeToString(sum[:])
	if len(keys) != 2 || keys[0] != want && keys[1] != want {
		t.Fatalf("keys %q, want %q and its twin under the other prefix", keys, want)
	}
	for _, k := range keys {
		if strings.Contains(k, "ada") || strings.Contains(k, "acme") {
			t.Fatalf("key %q holds the email in clear", k)
		}
		if ttl, err := rdb.TTL(ctx(t), k).Result(); err != nil || ttl <= 10*time.Second || ttl > 70*time.Second {
			t.Fatalf("key TTL %v (%v), want the window plus a minute of slack", ttl, err)
		}
	}
	if ok, _, _ := w.Allow(ctx(t), "ada*"); !ok {
		t.Fatal("a key that is a glob of another was limited by it")
	}
}

// A node whose clock is behind counts its event in the newest second
// already counted (as security.SlidingWindow does when its clock steps
// back), so the event is not forgotten early by the node that is ahead.
func TestWindowNodeBehindCountsInTheNewestSecond(t *testing.T) {
	srv := testsvc.NewRedis(t)
	ahead, behind := newClock(), newClock()
	a := New(client(t, srv), "test:skew", 2, time.Minute, ahead.Now)
	b := New(client(t, srv), "test:skew", 2, time.Minute, behind.Now)
	ahead.Set(2 * time.Second)
	for _, w := range []*Window{a, b} {
		if ok, _, err := w.Allow(ctx(t), "k"); !ok || err != nil {
			t.Fatalf("allow: %v, %v", ok, err)
		}
	}
	ahead.Set(61 * time.Second) // second 0 has left the window, second 2 has not
	if ok, retry, err := a.Allow(ctx(t), "k"); ok || err != nil || retry != time.Second {
		t.Fatalf("Allow = %v, %v, %v; want refused until second 2 leaves (1s)", ok, retry, err)
	}
}

// Redis down: Allow errors (and never names the key); Redis back, empty:
// Allow works again, the script reloaded.
func TestWindowErrorsWhileRedisIsDown(t *testing.T) {
	srv := testsvc.NewRedis(t)
	rdb := client(t, srv)
	c := newClock()
	w := New(rdb, "test:down", 1, time.Minute, c.Now)
	if ok, _, err := w.Allow(ctx(t), "ada@acme.test"); !ok || err != nil {
		t.Fatalf("before the outage: %v, %v", ok, err)
	}
	srv.Stop()
	ok, _, err := w.Allow(ctx(t), "ada@acme.test")
	if err == nil || ok {
		t.Fatalf("Redis down: Allow = %v, %v; want an error", ok, err)
	}
	if strings.Contains(err.Error(), "ada") {
		t.Fatalf("error names the key: %v", err)
	}
	srv.Start()
	if ok, _, err := w.Allow(ctx(t), "ada@acme.test"); !ok || err != nil { // counts did not survive the restart
		t.Fatalf("after restart: %v, %v", ok, err)
	}
	if ok, retry, err := w.Allow(ctx(t), "ada@acme.test"); ok || err != nil || retry != time.Minute {
		t.Fatalf("after restart, second attempt: %v, %v, %v; want refused for 1m", ok, retry, err)
	}
}

func TestNewRefusesNonsense(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	for name, f := range map[string]func(){
		"nil client":   func() { New(nil, "p", 1, time.Minute, nil) },
		"empty prefix": func() { New(rdb, "", 1, time.Minute, nil) },
		"limit 0":      func() { New(rdb, "p", 0, time.Minute, nil) },
		"window < 1s":  func() { New(rdb, "p", 1, time.Millisecond, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// BenchmarkRedisWindowAllow is one shared-window check: a script round
// trip to a local Redis, from parallel callers over 1024 keys.
func BenchmarkRedisWindowAllow(b *testing.B) {
	rdb := client(b, testsvc.NewRedis(b))
	w := New(rdb, "bench:allow", 1<<30, time.Minute, nil)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprint("api-key-", i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, _, err := w.Allow(ctx, keys[i%len(keys)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
