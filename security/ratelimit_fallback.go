package security

import (
	"context"
	"sync/atomic"
	"time"
)

// FallbackWarnEvery is the least time between two OnFallback calls of one
// FallbackWindow.
const FallbackWarnEvery = time.Minute

// SharedWindow is a rate limit counted outside this node (Redis) that may
// fail to decide. *redislimit.Window is one.
type SharedWindow interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// FallbackWindow is a rate limit that fails open to this node: it charges
// the shared window and, whenever that cannot decide (an error, or no
// answer within the timeout), this node's own window with the same numbers
// — for limits that bound abuse rather than guard credentials, so a Redis
// outage does not stop chat (a cluster of K nodes then admits up to K times
// the limit). With no shared window it is the local one alone. It is safe
// for concurrent use.
type FallbackWindow struct {
	shared     SharedWindow
	local      *SlidingWindow
	timeout    time.Duration
	now        func() time.Time
	onFallback func(error)
	nextWarn   atomic.Int64 // unix nanoseconds before which onFallback is not called
}

// NewFallbackWindow returns a FallbackWindow over shared (nil: local only)
// and local. timeout bounds one shared check; onFallback (may be nil)
// receives the shared window's error at most once per FallbackWarnEvery,
// and must not log the key. now is the clock (nil: time.Now).
func NewFallbackWindow(shared SharedWindow, local *SlidingWindow, timeout time.Duration, now func() time.Time, onFallback func(error)) *FallbackWindow {
	if now == nil {
		now = time.Now
	}
	return &FallbackWindow{shared: shared, local: local, timeout: timeout, now: now, onFallback: onFallback}
}

// Allow charges one event to key and reports whether it was allowed; when
// not, retryAfter says when it may be. It always decides.
func (f *FallbackWindow) Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration) {
	if f.shared != nil {
		sctx, cancel := context.WithTimeout(ctx, f.timeout)
		ok, retry, err := f.shared.Allow(sctx, key)
		cancel()
		if err == nil {
			return ok, retry
		}
		f.warn(err)
	}
	return f.local.Allow(key)
}

// warn passes err to onFallback at most once per FallbackWarnEvery.
func (f *FallbackWindow) warn(err error) {
	now := f.now()
	next := f.nextWarn.Load()
	if f.onFallback == nil || now.UnixNano() < next ||
		!f.nextWarn.CompareAndSwap(next, now.Add(FallbackWarnEvery).UnixNano()) {
		return
	}
	f.onFallback(err)
}
