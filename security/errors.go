package security

import (
	"errors"
	"fmt"
)

// ErrUnavailable reports that a token could not be checked (or a session
// changed) because the session store did not answer: it is retryable, and
// says nothing about the token. Callers must keep the client's credentials
// and tell it to try again (HTTP 503 "unavailable", WebSocket close 1013),
// never treat it as an authentication failure. The store's error stays in
// the chain (errors.Is works on both).
var ErrUnavailable = errors.New("security: session store unavailable")

// unavailable wraps a store error met during op as ErrUnavailable.
func unavailable(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
}

// Rejected reports whether err says the token itself is no good (unknown,
// malformed, expired, revoked or a reused refresh token): the client must
// refresh or sign in again. It is false for ErrUnavailable and every other
// error, which mean the token could not be checked.
func Rejected(err error) bool {
	return errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrTokenExpired) ||
		errors.Is(err, ErrSessionRevoked) || errors.Is(err, ErrRefreshReused)
}
