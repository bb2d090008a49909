package redislimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/security/limittest"
)

// quotaTaker is what both quota windows offer.
type quotaTaker interface {
	Take(ctx context.Context, key string, limit int) (security.Quota, error)
}

var (
	_ quotaTaker = (*Quota)(nil)
	_ quotaTaker = (*security.QuotaWindow)(nil)
)

// suiteQuota gives a quota window the suite's shape.
type suiteQuota struct{ q quotaTaker }

func (s suiteQuota) Take(ctx context.Context, key string, limit int) (limittest.QuotaResult, error) {
	q, err := s.q.Take(ctx, key, limit)
	return limittest.QuotaResult(q), err
}

// Each Quota is its own prefix on one Redis shared by the suite.
func TestQuotaConformance(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	var n atomic.Int64
	limittest.RunQuota(t, func(t *testing.T, window time.Duration, now func() time.Time) limittest.QuotaLimiter {
		return suiteQuota{NewQuota(client(t, srv), "quota:"+strconv.FormatInt(n.Add(1), 10), window, now)}
	})
}

// The same sequence of calls (keys, limits that change per call, a clock
// moving by uneven steps and sometimes back) gets the identical Quota from
// the in-memory window and from Redis, call by call.
func TestQuotaMatchesQuotaWindowCallByCall(t *testing.T) {
	t.Parallel()
	rdb := client(t, testsvc.NewRedis(t))
	for _, window := range []time.Duration{time.Second, 10 * time.Second, time.Minute} {
		c := newClock()
		mem := security.NewQuotaWindow(window, c.Now)
		shared := NewQuota(rdb, "diff:"+window.String(), window, c.Now)
		rng := rand.New(rand.NewPCG(1, uint64(window)))
		at := time.Duration(0)
		for i := range 3000 {
			at += time.Duration(rng.IntN(700)) * time.Millisecond
			if rng.IntN(20) == 0 {
				at -= time.Duration(rng.IntN(3000)) * time.Millisecond // a clock stepping back
			}
			c.Set(at)
			key, limit := "key_"+strconv.Itoa(rng.IntN(3)), 1+rng.IntN(12)
			want, werr := mem.Take(ctx(t), key, limit)
			got, err := shared.Take(ctx(t), key, limit)
			if err != nil || werr != nil || got != want {
				t.Fatalf("window %v, call %d at t0+%v (%s, limit %d): Redis %+v, %v; memory %+v, %v",
					window, i, at, key, limit, got, err, want, werr)
			}
		}
	}
}

// Two nodes (two clients, two Quotas) share one limit exactly, each
// allowed call with its own Remaining.
func TestQuotaIsExactAcrossNodes(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	c := newClock()
	nodes := []*Quota{
		NewQuota(client(t, srv), "test:quota", time.Minute, c.Now),
		NewQuota(client(t, srv), "test:quota", time.Minute, c.Now),
	}
	const limit = 50
	var mu sync.Mutex
	seen := map[int]bool{}
	var failed atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			q, err := nodes[i%2].Take(ctx(t), "key_shared", limit)
			if err != nil {
				failed.Add(1)
				return
			}
			if q.Allowed {
				mu.Lock()
				seen[q.Remaining] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != limit || failed.Load() != 0 {
		t.Fatalf("%d distinct Remaining among allowed calls (%d errors), want exactly %d allowed", len(seen), failed.Load(), limit)
	}
}

func TestQuotaKeysAreHashedAndExpire(t *testing.T) {
	t.Parallel()
	rdb := client(t, testsvc.NewRedis(t))
	c := newClock()
	const key = "agt_ada*{x}:y"
	q := NewQuota(rdb, "test:apiuser", time.Minute, c.Now)
	if r, err := q.Take(ctx(t), key, 5); !r.Allowed || err != nil {
		t.Fatalf("first take: %+v, %v", r, err)
	}
	sum := sha256.Sum256([]byte(key))
	want := "test:apiuser:" + hex.EncodeToString(sum[:])
	keys, err := rdb.Keys(ctx(t), "*").Result()
	if err != nil || len(keys) != 1 || keys[0] != want {
		t.Fatalf("keys %q (%v), want [%q]", keys, err, want)
	}
	if ttl, err := rdb.TTL(ctx(t), want).Result(); err != nil || ttl <= time.Minute || ttl > 2*time.Minute {
		t.Fatalf("key TTL %v (%v), want the window plus a minute of slack", ttl, err)
	}
}

// Redis down: Take errors (never naming the key) and allows nothing;
// Redis back: Take works again.
func TestQuotaErrorsWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	c := newClock()
	q := NewQuota(client(t, srv), "test:quota_down", time.Minute, c.Now)
	if r, err := q.Take(ctx(t), "key_secretish", 2); !r.Allowed || err != nil {
		t.Fatalf("before the outage: %+v, %v", r, err)
	}
	srv.Stop()
	r, err := q.Take(ctx(t), "key_secretish", 2)
	if err == nil || r.Allowed {
		t.Fatalf("Redis down: Take = %+v, %v; want an error", r, err)
	}
	if strings.Contains(err.Error(), "secretish") {
		t.Fatalf("error names the key: %v", err)
	}
	srv.Start()
	if r, err := q.Take(ctx(t), "key_secretish", 2); !r.Allowed || err != nil || r.Remaining != 1 {
		t.Fatalf("after restart: %+v, %v", r, err)
	}
}

func TestNewQuotaRefusesNonsense(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	for name, f := range map[string]func(){
		"nil client":   func() { NewQuota(nil, "p", time.Minute, nil) },
		"empty prefix": func() { NewQuota(rdb, "", time.Minute, nil) },
		"window < 1s":  func() { NewQuota(rdb, "p", time.Millisecond, nil) },
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
