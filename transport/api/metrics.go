package api

import (
	"errors"

	"github.com/helpr-chat/helpr/security"
)

// Auth failure reasons counted in helpr_auth_failures_total{reason}. They
// match transport/ws's labels where the cause is the same.
const (
	reasonUnauthorized       = "unauthorized"
	reasonTokenExpired       = "token_expired"
	reasonSessionRevoked     = "session_revoked"
	reasonRefreshReused      = "refresh_token_reused"
	reasonInvalidCredentials = "invalid_credentials"
	reasonRateLimited        = "rate_limited"
	reasonForbiddenOrigin    = "forbidden_origin"
)

// authFailed counts one failed authentication (no-op without metrics).
func (a *API) authFailed(reason string) {
	if a.cfg.Metrics != nil {
		a.cfg.Metrics.AuthFailures.With(reason).Inc()
	}
}

// tokenReason labels a session validation error.
func tokenReason(err error) string {
	switch {
	case errors.Is(err, security.ErrTokenExpired):
		return reasonTokenExpired
	case errors.Is(err, security.ErrSessionRevoked):
		return reasonSessionRevoked
	case errors.Is(err, security.ErrRefreshReused):
		return reasonRefreshReused
	default:
		return reasonUnauthorized
	}
}
