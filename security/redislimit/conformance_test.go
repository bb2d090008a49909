package redislimit

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/security/limittest"
)

// fallbackLimiter gives security.FallbackWindow the suite's shape.
type fallbackLimiter struct{ f *security.FallbackWindow }

func (l fallbackLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	ok, retry := l.f.Allow(ctx, key)
	return ok, retry, nil
}

// Each limiter is its own prefix on one Redis shared by the suite; the
// FallbackWindow variant decides through Redis (its local window would
// only be asked if Redis failed).
func TestConformance(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	var n atomic.Int64
	prefix := func() string { return "conf:" + strconv.FormatInt(n.Add(1), 10) }
	t.Run("Window", func(t *testing.T) {
		t.Parallel()
		limittest.Run(t, func(t *testing.T, limit int, window time.Duration, now func() time.Time) limittest.Limiter {
			return New(client(t, srv), prefix(), limit, window, now)
		})
	})
	t.Run("FallbackWindow over Window", func(t *testing.T) {
		t.Parallel()
		limittest.Run(t, func(t *testing.T, limit int, window time.Duration, now func() time.Time) limittest.Limiter {
			shared := New(client(t, srv), prefix(), limit, window, now)
			local := security.NewSlidingWindow(1, time.Second, now) // would refuse almost everything: proves it is not asked
			return fallbackLimiter{security.NewFallbackWindow(shared, local, 5*time.Second, now, func(err error) { t.Errorf("fell back: %v", err) })}
		})
	})
}
