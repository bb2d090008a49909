package ws

import (
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/wire"
)

// Reasons a connection is closed by the server.
var (
	errUnauthorized   = errors.New("unauthorized")
	errSessionRevoked = errors.New("session revoked")
	errTokenExpired   = errors.New("token expired")
	errForbidden      = errors.New("forbidden for this subject")
	errRateLimited    = errors.New("rate limited")
	errSlowConsumer   = errors.New("slow consumer")
	errProtocol       = errors.New("protocol violation")
	// errUnavailable: the token could not be checked (the session store did
	// not answer). Retryable: the session is not in doubt.
	errUnavailable  = errors.New("session store unavailable")
	errTooManyConns = errors.New("too many connections")
)

// closing is a close code with its reason text and metric label.
type closing struct {
	code   websocket.StatusCode
	reason string
	label  string
}

// closeFor maps a reason to the documented close code (docs/protocol.md).
func closeFor(err error) closing {
	switch {
	case errors.Is(err, errSessionRevoked):
		return closing{wire.CloseSessionRevoked, "session revoked", "session_revoked"}
	case errors.Is(err, errTokenExpired):
		return closing{wire.CloseTokenExpired, "token expired", "token_expired"}
	case errors.Is(err, errForbidden):
		return closing{wire.CloseForbiddenOrigin, "not allowed from this origin", "forbidden_origin"}
	case errors.Is(err, errRateLimited):
		return closing{wire.CloseRateLimited, "rate limited", "rate_limited"}
	case errors.Is(err, errSlowConsumer):
		return closing{wire.CloseSlowConsumer, "slow consumer", "slow_consumer"}
	case errors.Is(err, errTooManyConns):
		return closing{wire.CloseTooManyConnections, "too many connections", CodeTooManyConnections}
	case errors.Is(err, errWSProtocol):
		return closeWSProtocol
	case errors.Is(err, errInvalidUTF8):
		return closeInvalidUTF8
	case errors.Is(err, errProtocol):
		return closing{wire.CloseProtocolViolation, "too many bad frames", "protocol_violation"}
	case errors.Is(err, errUnavailable):
		return closing{wire.CloseTryAgain, "could not check the session; reconnect shortly", "unavailable"}
	default:
		return closing{wire.CloseUnauthorized, "unauthorized", "unauthorized"}
	}
}

// tokenFailure turns a token validation error into the reason the
// connection is closed for: a token that could not be checked (the store is
// down) is errUnavailable, never errUnauthorized.
func tokenFailure(err error) error {
	switch {
	case isUnavailable(err):
		return errUnavailable
	case errors.Is(err, security.ErrSessionRevoked), errors.Is(err, security.ErrRefreshReused):
		return errSessionRevoked
	case errors.Is(err, security.ErrTokenExpired):
		return errTokenExpired
	default:
		return errUnauthorized
	}
}

// authFailureReason labels a token validation error for metrics.
func authFailureReason(err error) string {
	return closeFor(tokenFailure(err)).label
}

// errorFrameFor maps a hub error to the error code and message sent to the
// client. Unknown errors are internal and their cause is only logged.
func errorFrameFor(err error) (code wire.ErrorCode, message string, internal bool) {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return wire.CodeNotFound, "no such conversation or agent", false
	case errors.Is(err, storage.ErrConflict):
		return wire.CodeConflict, "the conversation changed; reload it and try again", false
	case errors.Is(err, hub.ErrForbidden):
		return wire.CodeForbidden, "not allowed for this subject", false
	case errors.Is(err, hub.ErrClosed), errors.Is(err, storage.ErrConversationClosed):
		return wire.CodeConversationClosed, "the conversation is closed", false
	case errors.Is(err, hub.ErrInvalid):
		return wire.CodeValidationFailed, err.Error(), false
	case isUnavailable(err):
		return wire.CodeUnavailable, "the store is unavailable; retry shortly", false
	default:
		return wire.CodeInternal, "internal error; retry later", true
	}
}

// isUnavailable reports whether err means the store (or the session check)
// could not answer: retryable, as opposed to a refusal.
func isUnavailable(err error) bool {
	return errors.Is(err, security.ErrUnavailable) || errors.Is(err, storage.ErrUnavailable)
}

// unavailableLogEvery is how often a store outage is logged at most.
const unavailableLogEvery = time.Minute

// outageLog logs a warning when the store fails a connection, at most once
// per unavailableLogEvery, with the count of failures it kept quiet about.
// The logged error is the store's (it never carries a token). Safe for
// concurrent use.
type outageLog struct {
	log zerolog.Logger
	now func() time.Time

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// warn logs err as met during op (upgrade, auth, revalidate, frame), unless
// a warning was logged less than unavailableLogEvery ago.
func (o *outageLog) warn(op string, err error) {
	now := o.now()
	o.mu.Lock()
	if !o.last.IsZero() && now.Sub(o.last) < unavailableLogEvery {
		o.suppressed++
		o.mu.Unlock()
		return
	}
	n := o.suppressed
	o.last, o.suppressed = now, 0
	o.mu.Unlock()
	o.log.Warn().Err(err).Str("during", op).Int("suppressed", n).
		Msg("store unavailable: client told to retry (session kept); logged at most once a minute")
}
