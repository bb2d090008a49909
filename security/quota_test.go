package security

import (
	"context"
	"fmt"
	"hash/maphash"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security/limittest"
)

// memQuota gives QuotaWindow the suite's shape.
type memQuota struct{ w *QuotaWindow }

func (m memQuota) Take(ctx context.Context, key string, limit int) (limittest.QuotaResult, error) {
	q, err := m.w.Take(ctx, key, limit)
	return limittest.QuotaResult(q), err
}

func TestQuotaWindowConformance(t *testing.T) {
	t.Parallel()
	limittest.RunQuota(t, func(_ *testing.T, window time.Duration, now func() time.Time) limittest.QuotaLimiter {
		return memQuota{NewQuotaWindow(window, now)}
	})
}

// Keys idle for a window are swept, as SlidingWindow's are.
func TestQuotaWindowDropsIdleKeys(t *testing.T) {
	c := newClock()
	w := NewQuotaWindow(time.Minute, c.Now)
	ctx := context.Background()
	for i := range 1000 {
		if _, err := w.Take(ctx, fmt.Sprint("key_old", i), 600); err != nil {
			t.Fatal(err)
		}
	}
	c.Set(59 * time.Second)
	_, _ = w.Take(ctx, "key_old7", 600)
	c.Set(60 * time.Second)
	fresh := map[uint64]string{}
	for i := 0; len(fresh) < windowShards; i++ {
		k := fmt.Sprint("key_new", i)
		fresh[maphash.String(w.seed, k)%windowShards] = k
	}
	for _, k := range fresh {
		_, _ = w.Take(ctx, k, 600)
	}
	if n := w.len(); n != windowShards+1 {
		t.Fatalf("holding %d keys after the window, want %d fresh + key_old7", n, windowShards)
	}
}

// A key's memory is bounded by the seconds in its window, whatever limit
// it is charged against.
func TestQuotaWindowMemoryPerKeyIsBoundedBySeconds(t *testing.T) {
	c := newClock()
	w := NewQuotaWindow(10*time.Second, c.Now)
	for i := range 1000 {
		c.Set(time.Duration(i) * 100 * time.Millisecond)
		_, _ = w.Take(context.Background(), "k", 1<<30)
	}
	sh, counts := w.lock("k", c.Now().Unix())
	n := len(counts.q)
	sh.mu.Unlock()
	if n > 10 {
		t.Fatalf("key holds %d seconds, want at most the window's 10", n)
	}
}

func TestNewQuotaWindowRefusesAWindowUnderASecond(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	NewQuotaWindow(time.Millisecond, nil)
}

// BenchmarkQuotaTake is one in-memory quota check from parallel callers
// over 1024 keys (an API key's per-request charge).
func BenchmarkQuotaTake(b *testing.B) {
	w := NewQuotaWindow(time.Minute, nil)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprint("key_", i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := w.Take(ctx, keys[i%len(keys)], 1<<30); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
