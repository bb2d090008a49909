package ws

import (
	"errors"

	"github.com/coder/websocket"

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
	errTooManyConns   = errors.New("too many connections")
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
	default:
		return closing{wire.CloseUnauthorized, "unauthorized", "unauthorized"}
	}
}

// tokenFailure turns a token validation error into the reason the
// connection is closed for.
func tokenFailure(err error) error {
	switch {
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
	case errors.Is(err, hub.ErrClosed):
		return wire.CodeConversationClosed, "the conversation is closed", false
	case errors.Is(err, hub.ErrInvalid):
		return wire.CodeValidationFailed, err.Error(), false
	default:
		return wire.CodeInternal, "internal error; retry later", true
	}
}
