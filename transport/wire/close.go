package wire

import (
	"slices"

	"github.com/coder/websocket"
)

// CloseCode is a WebSocket close status code. It is the websocket library's
// own type, so the constants below go straight into Conn.Close and compare
// with websocket.CloseStatus(err).
type CloseCode = websocket.StatusCode

// Close codes: the one table (keep closeCodes and docs/protocol.md in step).
// After a 4xxx close a client must not reconnect with the same credentials
// unless the row says so.
const (
	// CloseNormal: the connection is done (client or server said goodbye).
	CloseNormal CloseCode = 1000
	// CloseGoingAway: the server is shutting down; reconnect (possibly to
	// another node) and resume with conversation.join after_seq.
	CloseGoingAway CloseCode = 1001
	// CloseProtocolError: the client broke RFC 6455 framing (an unmasked
	// frame, reserved bits or opcodes, a bad control or close frame).
	CloseProtocolError CloseCode = 1002
	// CloseInvalidPayload: a text message was not valid UTF-8 (RFC 6455
	// §8.1).
	CloseInvalidPayload CloseCode = 1007
	// CloseMessageTooBig: a client message exceeded MaxFrameBytes (32 KiB).
	CloseMessageTooBig CloseCode = 1009
	// CloseTryAgain (RFC 6455 "Try Again Later"): the server could not
	// check the token (its session store is unavailable). The session is
	// not in doubt: keep the credentials, reconnect with backoff and resume.
	CloseTryAgain CloseCode = 1013
	// CloseUnauthorized: bad or missing token, or no auth frame within 5 s.
	CloseUnauthorized CloseCode = 4001
	// CloseSessionRevoked: the session was logged out or revoked, or its
	// refresh token was reused. Sign in again.
	CloseSessionRevoked CloseCode = 4002
	// CloseTokenExpired: the access token expired. Refresh, then reconnect.
	CloseTokenExpired CloseCode = 4003
	// CloseForbiddenOrigin: the token's subject may not connect from this
	// origin (for example a visitor token on another widget's page).
	CloseForbiddenOrigin CloseCode = 4004
	// CloseRateLimited: the client kept flooding after rate_limited errors.
	CloseRateLimited CloseCode = 4008
	// CloseSlowConsumer: the client did not read fast enough and its send
	// queue overflowed. Reconnect and resume.
	CloseSlowConsumer CloseCode = 4009
	// CloseProtocolViolation: the client kept sending frames that could not
	// be decoded or validated.
	CloseProtocolViolation CloseCode = 4010
	// CloseTooManyConnections: the subject, known from its auth frame,
	// already has as many open connections as this node allows
	// (--ws-conns-per-subject). Close another, or reconnect later with
	// backoff. (A token given at upgrade is refused with HTTP 429 instead.)
	CloseTooManyConnections CloseCode = 4029
)

var closeCodes = []CloseCode{
	CloseNormal, CloseGoingAway, CloseMessageTooBig, CloseTryAgain, CloseUnauthorized,
	CloseSessionRevoked, CloseTokenExpired, CloseForbiddenOrigin,
	CloseRateLimited, CloseSlowConsumer, CloseProtocolViolation,
	CloseProtocolError, CloseInvalidPayload, CloseTooManyConnections,
}

// CloseCodes returns every close code helpr uses, in table order.
func CloseCodes() []CloseCode { return slices.Clone(closeCodes) }
