package security

import (
	"fmt"
	"hash/maphash"
	"testing"
	"time"
)

func TestSlidingWindowDropsIdleKeys(t *testing.T) {
	c := newClock()
	w := NewSlidingWindow(3, time.Minute, c.Now)
	for i := 0; i < 1000; i++ {
		w.Allow(fmt.Sprint("old-", i))
	}
	c.Set(59 * time.Second)
	w.Allow("old-7") // still active at t0+59s
	if n := w.len(); n != 1000 {
		t.Fatalf("holding %d keys, want 1000", n)
	}
	c.Set(60 * time.Second)
	// Touch every shard with a fresh key; each shard sweeps on its first
	// use after a window has passed.
	fresh := map[uint64]string{}
	for i := 0; len(fresh) < windowShards; i++ {
		k := fmt.Sprint("new-", i)
		fresh[maphash.String(w.seed, k)%windowShards] = k
	}
	for _, k := range fresh {
		w.Allow(k)
	}
	if n := w.len(); n != windowShards+1 {
		t.Fatalf("holding %d keys after the window, want %d fresh + old-7", n, windowShards)
	}
}

func TestTokenBucketRefillsAndCapsAtBurst(t *testing.T) {
	c := newClock()
	b := NewTokenBucket(10, 3, c.Now)
	takes := func(n int) (got int) {
		for i := 0; i < n; i++ {
			if b.Take() {
				got++
			}
		}
		return got
	}
	if got := takes(5); got != 3 {
		t.Fatalf("full bucket gave %d of 5, want burst 3", got)
	}
	c.Set(99 * time.Millisecond)
	if b.Take() {
		t.Fatal("took a token before one refilled (100ms at 10/s)")
	}
	c.Set(100 * time.Millisecond)
	if got := takes(2); got != 1 {
		t.Fatalf("after 100ms gave %d, want 1", got)
	}
	c.Set(time.Hour)
	if got := takes(10); got != 3 {
		t.Fatalf("after an idle hour gave %d, want burst 3", got)
	}
	c.Set(time.Minute) // clock stepped back: no refill, no panic
	if b.Take() {
		t.Fatal("a clock stepping back refilled the bucket")
	}
}

func TestRateLimitersRefuseNonsense(t *testing.T) {
	for name, f := range map[string]func(){
		"window limit 0":  func() { NewSlidingWindow(0, time.Minute, nil) },
		"window under 1s": func() { NewSlidingWindow(1, time.Millisecond, nil) },
		"bucket rate 0":   func() { NewTokenBucket(0, 1, nil) },
		"bucket burst 0":  func() { NewTokenBucket(1, 0, nil) },
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

func BenchmarkSlidingWindowAllow(b *testing.B) {
	w := NewSlidingWindow(1<<30, time.Minute, nil)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprint("api-key-", i)
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			w.Allow(keys[i%len(keys)])
			i++
		}
	})
}

func BenchmarkTokenBucketTake(b *testing.B) {
	tb := NewTokenBucket(1e9, 1<<20, nil)
	for b.Loop() {
		tb.Take()
	}
}
