package security

import (
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type allowStep struct {
	at    time.Duration // since t0
	ok    bool
	retry time.Duration
}

func runSteps(t *testing.T, w *SlidingWindow, c *fakeClock, key string, steps []allowStep) {
	t.Helper()
	for i, s := range steps {
		c.Set(s.at)
		ok, retry := w.Allow(key)
		if ok != s.ok || retry != s.retry {
			t.Fatalf("step %d at t0+%v: Allow = %v, %v; want %v, %v", i, s.at, ok, retry, s.ok, s.retry)
		}
	}
}

func TestSlidingWindowThreePerMinuteBoundaries(t *testing.T) {
	c := newClock()
	w := NewSlidingWindow(3, time.Minute, c.Now)
	ms := time.Millisecond
	runSteps(t, w, c, "reg:1.2.3.4", []allowStep{
		{0, true, 0},
		{10 * time.Second, true, 0},
		{59*time.Second + 999*ms, true, 0},
		{59*time.Second + 999*ms, false, ms},        // 4th in the minute; second 0 leaves at t0+60s
		{60 * time.Second, true, 0},                 // it left: room for one
		{60 * time.Second, false, 10 * time.Second}, // next to leave is second 10
		{69*time.Second + 999*ms, false, ms},
		{70 * time.Second, true, 0},
		{70 * time.Second, false, 49 * time.Second}, // second 59 leaves at t0+119s
	})
}

func TestSlidingWindowCountsWholeSeconds(t *testing.T) {
	c := newClock()
	w := NewSlidingWindow(1, time.Minute, c.Now)
	// An event late in second 0 is counted in second 0, which leaves the
	// window at t0+60s exactly.
	runSteps(t, w, c, "k", []allowStep{
		{900 * time.Millisecond, true, 0},
		{59*time.Second + 999*time.Millisecond, false, time.Millisecond},
		{60 * time.Second, true, 0},
	})
}

func TestSlidingWindowRefusalsAreNotCounted(t *testing.T) {
	c := newClock()
	w := NewSlidingWindow(5, 10*time.Second, c.Now) // the login limit
	for i := 0; i < 5; i++ {
		if ok, _ := w.Allow("login:a@b.c"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	for i := 0; i < 100; i++ {
		c.Set(time.Duration(i) * 99 * time.Millisecond)
		if ok, retry := w.Allow("login:a@b.c"); ok || retry != 10*time.Second-time.Duration(i)*99*time.Millisecond {
			t.Fatalf("refusal %d: %v, %v", i, ok, retry)
		}
	}
	if ok, _ := w.Allow("login:other@b.c"); !ok {
		t.Fatal("another key was limited")
	}
	c.Set(10 * time.Second)
	for i := 0; i < 5; i++ {
		if ok, _ := w.Allow("login:a@b.c"); !ok {
			t.Fatalf("after the window, attempt %d refused: refusals were counted", i+1)
		}
	}
}

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

func TestSlidingWindowConcurrentCallersShareTheLimit(t *testing.T) {
	c := newClock()
	w := NewSlidingWindow(50, time.Minute, c.Now)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if ok, _ := w.Allow("shared"); ok {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 50 {
		t.Fatalf("allowed %d of 800 concurrent calls, want exactly 50", allowed.Load())
	}
}

func TestSlidingWindowRoundsWindowUpToSeconds(t *testing.T) {
	c := newClock()
	w := NewSlidingWindow(1, 1500*time.Millisecond, c.Now)
	runSteps(t, w, c, "k", []allowStep{{0, true, 0}, {1999 * time.Millisecond, false, time.Millisecond}, {2 * time.Second, true, 0}})
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
