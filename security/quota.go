package security

import (
	"context"
	"fmt"
	"time"
)

// Quota is one rate-limit decision with what a client is told about its
// budget (the X-RateLimit-* headers).
//
//   - Allowed: the request was counted and may proceed. A refused request
//     is not counted.
//   - Limit: the limit it was charged against.
//   - Remaining: how many more requests the window admits now, after this
//     one (0 when refused; never negative, even when a key's limit was
//     lowered below what its window already holds).
//   - Reset: the whole unix second at which the window next frees a slot,
//     that is at which Remaining next goes up: the second at which enough
//     of the oldest counted seconds have left the window for one more
//     request to fit than fits now. When allowed, it is when the oldest
//     counted second leaves (oldest + window); when refused, it is the
//     moment the next request will be allowed. It is always after now.
//   - RetryAfter: when refused, Reset minus now (> 0); 0 when allowed.
type Quota struct {
	Allowed    bool
	Limit      int
	Remaining  int
	Reset      time.Time
	RetryAfter time.Duration
}

// QuotaWindow limits requests per key within a window, with second
// precision and the exact semantics of SlidingWindow — a request is
// allowed while the counts of the last window/1s seconds (the current one
// included) sum to less than the limit; a clock stepping back counts in
// the newest second — except that the limit is given by each call, so
// one window serves keys with different limits (an API key's rpm). With
// the same limit on every call its decisions and RetryAfter are exactly
// SlidingWindow's.
//
// Memory per key is bounded by the seconds in the window, and keys with
// nothing left in the window are swept (each shard at most once per window
// length). QuotaWindow is safe for concurrent use and exact under
// concurrency: N callers racing on a key with limit L get exactly L
// allowed.
type QuotaWindow struct {
	windowCounts
}

// NewQuotaWindow returns an empty QuotaWindow over window (rounded up to
// whole seconds). now is the clock; nil means time.Now. It panics if window
// < 1s: that is a programming error.
func NewQuotaWindow(window time.Duration, now func() time.Time) *QuotaWindow {
	if window < time.Second {
		panic(fmt.Sprintf("security: NewQuotaWindow(%v): need window >= 1s", window))
	}
	w := &QuotaWindow{}
	w.init(window, now)
	return w
}

// Take charges one request to key against limit and returns the decision.
// It errs (and counts nothing) only when limit < 1, so that a caller
// failing closed on errors refuses a request it cannot judge; ctx is
// unused (the shape of the shared, Redis-backed window).
func (w *QuotaWindow) Take(_ context.Context, key string, limit int) (Quota, error) {
	if limit < 1 {
		return Quota{}, fmt.Errorf("security: quota limit %d: need >= 1", limit)
	}
	now := w.now()
	sh, c := w.lock(key, now.Unix())
	defer sh.mu.Unlock()
	allowed := c.total < limit
	if allowed {
		c.add(now.Unix())
	}
	return QuotaDecision(allowed, limit, c.total, c.freeAt(limit, w.secs), now), nil
}

// QuotaDecision builds the Quota of a decision from the window's total after
// it (the refused request not counted) and the unix second at which a slot
// frees (see Quota.Reset): the arithmetic every QuotaWindow-like limiter
// shares, so a Redis-backed one answers exactly as QuotaWindow does.
func QuotaDecision(allowed bool, limit, total int, resetSec int64, now time.Time) Quota {
	q := Quota{Allowed: allowed, Limit: limit, Remaining: max(0, limit-total), Reset: time.Unix(resetSec, 0).UTC()}
	if !allowed {
		q.Remaining = 0
		q.RetryAfter = q.Reset.Sub(now)
	}
	return q
}
