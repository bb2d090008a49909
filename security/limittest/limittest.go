// Package limittest is the conformance suite of helpr's sliding-window
// rate limiters, in the manner of storage/storetest: security.SlidingWindow
// (one node), redislimit.Window (shared in Redis) and
// security.FallbackWindow each run
//
//	limittest.Run(t, func(t *testing.T, limit int, window time.Duration, now func() time.Time) limittest.Limiter { … })
//
// so every limiter has the same second precision, the same boundaries and
// the same Retry-After values. The suite imports nothing of helpr.
package limittest

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Limiter is the common shape of the limiters: Allow records an event for
// key if the window has room and reports whether it did; when it refuses,
// retryAfter is how long until the oldest counted second leaves the
// window, and the refused event is not counted. err means the limiter
// could not decide (a one-node limiter never returns one).
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// NewLimiter returns a fresh limiter of limit events per key within
// window, reading the clock now, that shares no count with any other
// limiter the function returned. Each call may come from a parallel
// subtest.
type NewLimiter func(t *testing.T, limit int, window time.Duration, now func() time.Time) Limiter

// Run runs the conformance suite.
func Run(t *testing.T, newLimiter NewLimiter) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newLimiter)
		})
	}
}

type testCase struct {
	name string
	fn   func(t *testing.T, newLimiter NewLimiter)
}

// t0 is a whole second, so second-precision boundaries are easy to read.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is an injected clock that moves only when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

// Now returns the clock's time.
func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t0+d.
func (c *clock) Set(d time.Duration) { c.mu.Lock(); c.t = t0.Add(d); c.mu.Unlock() }

// step is one Allow at t0+at and its expected outcome.
type step struct {
	at    time.Duration
	ok    bool
	retry time.Duration
}

// runSteps plays steps on key, failing at the first unexpected outcome.
func runSteps(t *testing.T, l Limiter, c *clock, key string, steps []step) {
	t.Helper()
	for i, s := range steps {
		c.Set(s.at)
		ok, retry, err := l.Allow(context.Background(), key)
		if err != nil || ok != s.ok || retry != s.retry {
			t.Fatalf("step %d at t0+%v: Allow = %v, %v, %v; want %v, %v", i, s.at, ok, retry, err, s.ok, s.retry)
		}
	}
}
