package api

import (
	"context"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Default limits (seed: registration 3 per minute, login 5 attempts per
// 10 s). A cluster builds its shared limiters with these numbers.
const (
	DefaultRegisterLimit  = 3
	DefaultRegisterWindow = time.Minute
	DefaultLoginLimit     = 5
	DefaultLoginWindow    = 10 * time.Second
)

// Limiter decides whether one more event for key fits a rate limit, and
// counts it if so. ok reports whether the event was allowed (and counted);
// when it was not, retryAfter is how long until it may be. A non-nil err
// means the limiter could not decide (its shared store is unreachable): a
// sign-in or registration limit then refuses the request with 503
// unavailable, because those protect credentials and fail closed; a
// visitor-session limit decides on this node's own window instead. err is
// logged, so it must not contain key (an email or an IP address). Implementations must be safe
// for concurrent use; *redislimit.Window is one.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// localLimiter adapts an in-memory security.SlidingWindow (this node's
// counts only) to Limiter. It never fails.
type localLimiter struct{ w *security.SlidingWindow }

var _ Limiter = localLimiter{}

// Allow implements Limiter.
func (l localLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	ok, retry := l.w.Allow(key)
	return ok, retry, nil
}

// limiterTimeout bounds one limiter check, so a hung shared store answers
// 503 promptly instead of holding sign-ins (a deadlock guard; a healthy
// check takes well under a millisecond).
const limiterTimeout = 3 * time.Second

// Rate-limit responses.
const (
	codeUnavailable          = "unavailable" // 503
	reasonLimiterUnavailable = "rate_limiter_unavailable"
	msgLimiterUnavailable    = "sign-in and registration are temporarily unavailable (rate limiting cannot be checked); retry shortly"
)

// limiter is a named Limiter that may be disabled.
type limiter struct {
	name string  // for logs and metrics: register, login_ip, login_account, visitor_session_ip, …
	l    Limiter // nil when disabled
	// credentials marks the sign-in limits: their refusals also count as
	// authentication failures.
	credentials bool
}

// newLimiter returns a fail-closed limiter guarding credentials: shared
// when it is set, else an in-memory window with cfg's numbers (def's where
// cfg has none), or nothing when cfg is Disabled.
func newLimiter(name string, shared Limiter, cfg, def RateLimit, now func() time.Time) limiter {
	if shared != nil {
		return limiter{name: name, l: shared, credentials: true}
	}
	if cfg.Disabled {
		return limiter{name: name}
	}
	return limiter{name: name, l: localLimiter{window(cfg, def, now)}, credentials: true}
}

// window returns an in-memory window with cfg's numbers, def's where cfg
// has none.
func window(cfg, def RateLimit, now func() time.Time) *security.SlidingWindow {
	if cfg.Limit <= 0 {
		cfg.Limit = def.Limit
	}
	if cfg.Window <= 0 {
		cfg.Window = def.Window
	}
	if cfg.Window < time.Second {
		cfg.Window = time.Second // the window's precision
	}
	return security.NewSlidingWindow(cfg.Limit, cfg.Window, now)
}

// admit charges key to l and reports whether the request may proceed. When
// it may not, the answer is written: 429 with Retry-After when the limit is
// reached, 503 unavailable when a fail-closed limiter failed.
func (a *API) admit(w http.ResponseWriter, r *http.Request, l limiter, key string) bool {
	if l.l == nil {
		return true
	}
	ok, retry, err := a.check(r.Context(), l, key)
	switch {
	case err != nil:
		a.limiterFailed(w, l.name, err)
		return false
	case !ok:
		a.rateLimited(w, l, retry)
		return false
	}
	return true
}

// check asks l about key within limiterTimeout.
func (a *API) check(ctx context.Context, l limiter, key string) (bool, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, limiterTimeout)
	defer cancel()
	return l.l.Allow(ctx, key)
}

// rateLimited answers 429 and counts it.
func (a *API) rateLimited(w http.ResponseWriter, l limiter, retry time.Duration) {
	if l.credentials {
		a.authFailed(reasonRateLimited)
	}
	if a.cfg.Metrics != nil {
		a.cfg.Metrics.RateLimited.With(l.name).Inc()
	}
	httpx.WriteRateLimited(w, retry)
}

// limiterFailed answers 503 unavailable, logs the cause (never the key) and
// counts helpr_rejections_total{reason="rate_limiter_unavailable"}.
func (a *API) limiterFailed(w http.ResponseWriter, name string, err error) {
	a.log.Error().Err(err).Str("limit", name).Msg("rate limiter unavailable: request refused (fail closed)")
	if a.cfg.Metrics != nil {
		a.cfg.Metrics.Rejections.With(reasonLimiterUnavailable).Inc()
	}
	httpx.WriteError(w, http.StatusServiceUnavailable, codeUnavailable, msgLimiterUnavailable)
}
