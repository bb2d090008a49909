package security

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security/limittest"
)

// localLimiter gives SlidingWindow the suite's shape.
type localLimiter struct{ w *SlidingWindow }

func (l localLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	ok, retry := l.w.Allow(key)
	return ok, retry, nil
}

// fallbackLimiter gives FallbackWindow the suite's shape.
type fallbackLimiter struct{ f *FallbackWindow }

func (l fallbackLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	ok, retry := l.f.Allow(ctx, key)
	return ok, retry, nil
}

// down is a shared window that can never decide.
type down struct{}

func (down) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 0, errors.New("redis down")
}

func TestSlidingWindowConformance(t *testing.T) {
	t.Parallel()
	limittest.Run(t, func(_ *testing.T, limit int, window time.Duration, now func() time.Time) limittest.Limiter {
		return localLimiter{NewSlidingWindow(limit, window, now)}
	})
}

// A FallbackWindow whose shared window is down decides with its local
// one, which must keep every promise of the suite.
func TestFallbackWindowConformanceWhileSharedIsDown(t *testing.T) {
	t.Parallel()
	for name, shared := range map[string]SharedWindow{"no shared window": nil, "shared window down": down{}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			limittest.Run(t, func(_ *testing.T, limit int, window time.Duration, now func() time.Time) limittest.Limiter {
				return fallbackLimiter{NewFallbackWindow(shared, NewSlidingWindow(limit, window, now), time.Second, now, nil)}
			})
		})
	}
}
