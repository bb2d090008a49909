package api

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/security"
)

// Default limits of POST /visitor/sessions: anyone holding a public
// publishable key may call it, so it is limited per client IP and per
// widget. A cluster builds its shared windows with the configured numbers.
const (
	DefaultVisitorSessionIPLimit      = 20
	DefaultVisitorSessionIPWindow     = time.Minute
	DefaultVisitorSessionWidgetLimit  = 1000
	DefaultVisitorSessionWidgetWindow = time.Hour
)

// Names of the visitor-session limits, in logs and in
// helpr_rate_limited_total{limit}; a cluster's Redis prefixes use them too.
const (
	limitVisitorIP     = "visitor_session_ip"
	limitVisitorWidget = "visitor_session_widget"
)

// fallbackTimeout bounds one shared check of a fail-open limit: past it
// the request is counted on this node instead, so a hung Redis slows
// visitor sessions by at most this much.
const fallbackTimeout = time.Second

// newFallbackLimiter returns a limiter that fails open to this node
// (security.FallbackWindow): an in-memory window with cfg's numbers (def's
// where cfg has none), checked alone on a single node and as the fallback
// of shared when shared is set. A Disabled cfg means no limiter at all.
func (a *API) newFallbackLimiter(name string, shared Limiter, cfg, def RateLimit) limiter {
	if cfg.Disabled {
		return limiter{name: name}
	}
	var sw security.SharedWindow
	if shared != nil {
		sw = shared
	}
	warn := func(err error) {
		a.log.Warn().Err(err).Str("limit", name).
			Msg("shared rate limit unavailable: counting on this node only (logged at most once a minute)")
	}
	return limiter{name: name, l: fallbackLimiter{security.NewFallbackWindow(sw, window(cfg, def, a.now), fallbackTimeout, a.now, warn)}}
}

// fallbackLimiter adapts a security.FallbackWindow, which always decides,
// to Limiter.
type fallbackLimiter struct{ w *security.FallbackWindow }

// Allow implements Limiter; it never fails.
func (l fallbackLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	ok, retry := l.w.Allow(ctx, key)
	return ok, retry, nil
}
