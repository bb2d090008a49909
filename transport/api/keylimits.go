package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Defaults of the API-key limits: a key's own rpm when it has none, and
// the per-owner limit across all of an agent's keys.
const (
	DefaultAPIKeyRPM  = 600
	DefaultAPIUserRPM = 1200
	// APIQuotaWindow is the window of both: requests per minute.
	APIQuotaWindow = time.Minute
)

// Names of the API-key limits in logs and helpr_rate_limited_total{limit};
// a cluster's Redis prefixes are helpr:rl:apikey and helpr:rl:apiuser.
const (
	limitAPIKey  = "api_key"
	limitAPIUser = "api_user"
)

// Headers of every answer to a request authenticated by an API key.
const (
	headerRateLimit     = "X-RateLimit-Limit"
	headerRateRemaining = "X-RateLimit-Remaining"
	headerRateReset     = "X-RateLimit-Reset"
)

// msgAPILimiterUnavailable is the 503 of an API-key request whose rate
// limit cannot be checked.
const msgAPILimiterUnavailable = "the API is temporarily unavailable (rate limiting cannot be checked); retry shortly"

// QuotaLimiter charges one request to key against limit (given per call:
// each API key has its own rpm) within a window and returns the decision
// with the budget left (security.Quota). A non-nil error means it could
// not decide; the API then refuses the request with 503 unavailable (the
// API-key limits fail closed). The error is logged, so it must not contain
// key. Implementations must be safe for concurrent use and count exactly;
// *security.QuotaWindow (one node) and *redislimit.Quota (a cluster) are
// two.
type QuotaLimiter interface {
	Take(ctx context.Context, key string, limit int) (security.Quota, error)
}

// keyLimits are the two windows every API-key request is charged to.
type keyLimits struct {
	perKey  QuotaLimiter // keyed by API key id, limit = the key's rpm
	perUser QuotaLimiter // keyed by the owning agent's id, limit = userRPM
	userRPM int
}

// newKeyLimits builds cfg's API-key limits: its limiters, or in-memory
// windows of a minute.
func newKeyLimits(cfg Config, now func() time.Time) (keyLimits, error) {
	if cfg.APIUserRPM < 0 {
		return keyLimits{}, fmt.Errorf("api: Config.APIUserRPM %d: want 0 (default %d) or more", cfg.APIUserRPM, DefaultAPIUserRPM)
	}
	l := keyLimits{perKey: cfg.APIKeyLimiter, perUser: cfg.APIUserLimiter, userRPM: cfg.APIUserRPM}
	if l.perKey == nil {
		l.perKey = security.NewQuotaWindow(APIQuotaWindow, now)
	}
	if l.perUser == nil {
		l.perUser = security.NewQuotaWindow(APIQuotaWindow, now)
	}
	if l.userRPM == 0 {
		l.userRPM = DefaultAPIUserRPM
	}
	return l, nil
}

// chargeAPIKey charges one request of API key keyID, owned by agent
// ownerID, to the key's window (limit rpm; rpm < 1 means
// DefaultAPIKeyRPM) and then to the owner's window (Config.APIUserRPM,
// shared by all the owner's keys). Whenever the windows decided (every
// answer but a 503) it sets X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset (unix seconds) from the tighter window: the one with
// fewer requests remaining (on a tie the later Reset). They stay on the
// route's own answer, whatever its status.
//
// It returns nil when the request may proceed, else the error for the
// caller to return (the router writes it): 429 rate_limited with
// Retry-After (whole seconds, at least 1, until the request could pass
// both windows) when either window refuses, 503 unavailable when a limiter
// errs (fail closed; logged without the key, counted in
// helpr_rejections_total{reason="rate_limiter_unavailable"}). A request
// the key's window refuses is not charged to the owner's, so a runaway key
// does not spend its owner's other keys' budget; one the owner's window
// refuses stays counted in the key's window (the strict side).
func (a *API) chargeAPIKey(w http.ResponseWriter, r *http.Request, keyID, ownerID string, rpm int) error {
	if rpm < 1 {
		rpm = DefaultAPIKeyRPM
	}
	ctx, cancel := context.WithTimeout(r.Context(), limiterTimeout)
	defer cancel()
	kq, err := a.keyLimits.perKey.Take(ctx, keyID, rpm)
	if err != nil {
		return a.quotaFailed(limitAPIKey, err)
	}
	if !kq.Allowed {
		return a.quotaRefused(w, limitAPIKey, kq, kq)
	}
	uq, err := a.keyLimits.perUser.Take(ctx, ownerID, a.keyLimits.userRPM)
	if err != nil {
		return a.quotaFailed(limitAPIUser, err)
	}
	tight := tighter(kq, uq)
	if !uq.Allowed {
		return a.quotaRefused(w, limitAPIUser, uq, tight)
	}
	setQuotaHeaders(w, tight)
	return nil
}

// tighter is the quota with fewer requests remaining, on a tie the one
// that frees later.
func tighter(a, b security.Quota) security.Quota {
	if b.Remaining < a.Remaining || b.Remaining == a.Remaining && b.Reset.After(a.Reset) {
		return b
	}
	return a
}

// setQuotaHeaders sets the X-RateLimit-* headers from q.
func setQuotaHeaders(w http.ResponseWriter, q security.Quota) {
	h := w.Header()
	h.Set(headerRateLimit, strconv.Itoa(q.Limit))
	h.Set(headerRateRemaining, strconv.Itoa(q.Remaining))
	h.Set(headerRateReset, strconv.FormatInt(q.Reset.Unix(), 10))
}

// quotaRefused sets the headers of tight and a Retry-After until both
// refused and tight free a slot, counts the refusal under name and returns
// the 429.
func (a *API) quotaRefused(w http.ResponseWriter, name string, refused, tight security.Quota) error {
	setQuotaHeaders(w, tight)
	retry := max(refused.RetryAfter, tight.Reset.Sub(a.now()))
	w.Header().Set("Retry-After", strconv.Itoa(httpx.RetryAfterSeconds(retry)))
	if a.cfg.Metrics != nil {
		a.cfg.Metrics.RateLimited.With(name).Inc()
	}
	return errAPIRateLimited
}

// quotaFailed logs a limiter error (never the key), counts it and returns
// the 503.
func (a *API) quotaFailed(name string, err error) error {
	a.log.Error().Err(err).Str("limit", name).Msg("rate limiter unavailable: API key request refused (fail closed)")
	if a.cfg.Metrics != nil {
		a.cfg.Metrics.Rejections.With(reasonLimiterUnavailable).Inc()
	}
	return errAPILimiterUnavailable
}

var (
	errAPIRateLimited = httpx.NewError(http.StatusTooManyRequests, httpx.CodeRateLimited,
		"too many requests, retry later")
	errAPILimiterUnavailable = httpx.NewError(http.StatusServiceUnavailable, codeUnavailable, msgAPILimiterUnavailable)
)
