package api

import (
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// limiter is a sliding window that may be disabled.
type limiter struct {
	w *security.SlidingWindow // nil when disabled
}

func newLimiter(cfg, def RateLimit, now func() time.Time) limiter {
	if cfg.Disabled {
		return limiter{}
	}
	if cfg.Limit <= 0 {
		cfg.Limit = def.Limit
	}
	if cfg.Window <= 0 {
		cfg.Window = def.Window
	}
	if cfg.Window < time.Second {
		cfg.Window = time.Second // the window's precision
	}
	return limiter{w: security.NewSlidingWindow(cfg.Limit, cfg.Window, now)}
}

// rateLimited answers 429 and counts it.
func (a *API) rateLimited(w http.ResponseWriter, retry time.Duration) {
	a.authFailed(reasonRateLimited)
	httpx.WriteRateLimited(w, retry)
}

// allow charges key and reports whether the request may proceed and, if
// not, when to retry.
func (l limiter) allow(key string) (bool, time.Duration) {
	if l.w == nil {
		return true, 0
	}
	return l.w.Allow(key)
}
