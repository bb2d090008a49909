package limittest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// QuotaResult is one quota decision (security.Quota's fields; the suite
// imports nothing of helpr).
type QuotaResult struct {
	Allowed    bool
	Limit      int
	Remaining  int
	Reset      time.Time
	RetryAfter time.Duration
}

// QuotaLimiter is the common shape of the quota windows
// (security.QuotaWindow, redislimit.Quota): Take charges one request to
// key against limit, given per call. err means it could not decide (and
// for a limit < 1).
type QuotaLimiter interface {
	Take(ctx context.Context, key string, limit int) (QuotaResult, error)
}

// NewQuotaLimiter returns a fresh quota window over window on the clock
// now that shares no count with any other it returned.
type NewQuotaLimiter func(t *testing.T, window time.Duration, now func() time.Time) QuotaLimiter

// RunQuota runs the quota suite: first the sliding-window suite (Run) with
// one limit on every call, which proves a quota window has exactly
// SlidingWindow's semantics, then the promises of a limit per call.
func RunQuota(t *testing.T, newQuota NewQuotaLimiter) {
	t.Helper()
	t.Run("SlidingWindow", func(t *testing.T) {
		t.Parallel()
		Run(t, func(t *testing.T, limit int, window time.Duration, now func() time.Time) Limiter {
			return fixedLimit{newQuota(t, window, now), limit}
		})
	})
	for _, tc := range quotaCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newQuota)
		})
	}
}

// fixedLimit is a quota window charged with one limit: a Limiter.
type fixedLimit struct {
	q     QuotaLimiter
	limit int
}

// Allow implements Limiter.
func (f fixedLimit) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	r, err := f.q.Take(ctx, key, f.limit)
	return r.Allowed, r.RetryAfter, err
}

var quotaCases = []struct {
	name string
	fn   func(t *testing.T, newQuota NewQuotaLimiter)
}{
	{"RemainingCountsDownResetIsTheOldestSecondLeaving", testQuotaCountsDown},
	{"ResetIsWhenTheWindowNextFreesASlot", testQuotaReset},
	{"LimitPerCall", testQuotaLimitPerCall},
	{"ClockSteppingBack", testQuotaClockBack},
	{"RefusesALimitUnderOne", testQuotaRefusesLimitUnderOne},
	{"ConcurrentCallersGetExactlyTheLimit", testQuotaConcurrent},
}

// qstep is one Take at t0+at with limit and its expected answer; reset
// and retry are offsets from t0 and absolute durations.
type qstep struct {
	at        time.Duration
	limit     int
	allowed   bool
	remaining int
	reset     time.Duration // Reset - t0
	retry     time.Duration
}

func runQuotaSteps(t *testing.T, q QuotaLimiter, c *clock, key string, steps []qstep) {
	t.Helper()
	for i, s := range steps {
		c.Set(s.at)
		got, err := q.Take(context.Background(), key, s.limit)
		want := QuotaResult{Allowed: s.allowed, Limit: s.limit, Remaining: s.remaining,
			Reset: t0.Add(s.reset), RetryAfter: s.retry}
		if err != nil || !got.Reset.Equal(want.Reset) || got.Allowed != want.Allowed || got.Limit != want.Limit ||
			got.Remaining != want.Remaining || got.RetryAfter != want.RetryAfter {
			t.Fatalf("step %d at t0+%v limit %d: Take = %+v, %v; want %+v", i, s.at, s.limit, got, err, want)
		}
	}
}

// The API key default: 600 a minute, Remaining 599 … 0, then refused
// until second 0 leaves the window at t0+60s.
func testQuotaCountsDown(t *testing.T, newQuota NewQuotaLimiter) {
	c := newClock()
	q := newQuota(t, time.Minute, c.Now)
	steps := make([]qstep, 0, 602)
	for i := range 600 {
		steps = append(steps, qstep{at: 500 * time.Millisecond, limit: 600, allowed: true, remaining: 599 - i, reset: time.Minute})
	}
	steps = append(steps,
		qstep{at: 59 * time.Second, limit: 600, remaining: 0, reset: time.Minute, retry: time.Second},
		qstep{at: time.Minute, limit: 600, allowed: true, remaining: 599, reset: 2 * time.Minute}) // all 600 left at once
	runQuotaSteps(t, q, c, "key_1", steps)
}

// Reset is the second at which one more request fits than fits now.
func testQuotaReset(t *testing.T, newQuota NewQuotaLimiter) {
	c := newClock()
	ms := time.Millisecond
	runQuotaSteps(t, newQuota(t, time.Minute, c.Now), c, "k", []qstep{
		{0, 3, true, 2, 60 * time.Second, 0},
		{10 * time.Second, 3, true, 1, 60 * time.Second, 0},
		{20*time.Second + 999*ms, 3, true, 0, 60 * time.Second, 0},
		{59*time.Second + 500*ms, 3, false, 0, 60 * time.Second, 500 * ms},
		{60 * time.Second, 3, true, 0, 70 * time.Second, 0}, // second 0 left; the oldest is now 10
		{60 * time.Second, 3, false, 0, 70 * time.Second, 10 * time.Second},
		{70 * time.Second, 3, true, 0, 80 * time.Second, 0},
	})
}

// A key's limit may change between calls (its rpm edited): a lower limit
// than the window holds refuses until enough old seconds left, and Reset
// is that second, not merely the oldest's.
func testQuotaLimitPerCall(t *testing.T, newQuota NewQuotaLimiter) {
	c := newClock()
	q := newQuota(t, time.Minute, c.Now)
	steps := make([]qstep, 0, 12)
	for s := range 6 { // one request in each of seconds 0..5 under limit 10
		steps = append(steps, qstep{time.Duration(s) * time.Second, 10, true, 9 - s, time.Minute, 0})
	}
	steps = append(steps,
		qstep{10 * time.Second, 3, false, 0, 63 * time.Second, 53 * time.Second}, // 6 held: seconds 0..3 must leave
		qstep{10 * time.Second, 7, true, 0, 60 * time.Second, 0},                 // 6 held fit under 7
		qstep{10 * time.Second, 8, true, 0, 60 * time.Second, 0},                 // 7 held fit under 8
		qstep{63 * time.Second, 3, false, 0, 65 * time.Second, 2 * time.Second},  // 4,5,10,10 held: 4 and 5 must leave
		qstep{65 * time.Second, 3, true, 0, 70 * time.Second, 0},                 // 10,10 held, +1 in 65
	)
	runQuotaSteps(t, q, c, "key_rpm", steps)
}

// A clock stepping back counts in the newest second, and Reset follows.
func testQuotaClockBack(t *testing.T, newQuota NewQuotaLimiter) {
	c := newClock()
	runQuotaSteps(t, newQuota(t, time.Minute, c.Now), c, "k", []qstep{
		{2 * time.Second, 2, true, 1, 62 * time.Second, 0},
		{0, 2, true, 0, 62 * time.Second, 0},
		{61 * time.Second, 2, false, 0, 62 * time.Second, time.Second},
		{62 * time.Second, 2, true, 1, 122 * time.Second, 0},
	})
}

// A limit under 1 is an error and counts nothing.
func testQuotaRefusesLimitUnderOne(t *testing.T, newQuota NewQuotaLimiter) {
	c := newClock()
	q := newQuota(t, time.Minute, c.Now)
	for _, limit := range []int{0, -1} {
		if _, err := q.Take(context.Background(), "k", limit); err == nil {
			t.Fatalf("Take with limit %d: no error", limit)
		}
	}
	runQuotaSteps(t, q, c, "k", []qstep{{0, 1, true, 0, time.Minute, 0}})
}

// N callers racing on one key with limit L: exactly L allowed, and their
// Remaining values are L-1 … 0, each exactly once (run with -race).
func testQuotaConcurrent(t *testing.T, newQuota NewQuotaLimiter) {
	const n, limit = 240, 60
	c := newClock()
	q := newQuota(t, time.Minute, c.Now)
	var mu sync.Mutex
	var remaining []int
	var failed int
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			r, err := q.Take(context.Background(), "shared", limit)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
			}
			if r.Allowed {
				remaining = append(remaining, r.Remaining)
			}
		})
	}
	wg.Wait()
	slices.Sort(remaining)
	if failed != 0 || len(remaining) != limit {
		t.Fatalf("%d of %d concurrent calls allowed (%d errors), want exactly %d", len(remaining), n, failed, limit)
	}
	for i, r := range remaining {
		if r != i {
			t.Fatalf("allowed calls' Remaining %v, want 0 … %d once each", remaining, limit-1)
		}
	}
}
