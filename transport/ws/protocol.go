package ws

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/wire"
)

// RFC 6455 checks helpr adds on top of the websocket library's read side.
//
// The library answers most protocol errors itself with a 1002 close frame
// (reserved bits, reserved opcodes, fragmented or oversized control frames,
// a continuation without a start, a bad close payload) and 1009 for a
// message over the read limit. Three cases it leaves to its caller:
//   - an unmasked client frame ends Read with a plain error and no close
//     frame (the caller then closed with 1000): readFailure turns every
//     read error that is neither the peer going away nor a close into 1002;
//   - it does not validate UTF-8 in text messages (RFC 6455 §8.1 requires
//     failing the connection, 1007): textInvalid checks each one;
//   - a read context that ends closes the socket without a close frame, so
//     the auth deadline is a timer that sends 4001 instead (authDeadline).
var (
	errWSProtocol  = errors.New("websocket protocol error")
	errInvalidUTF8 = errors.New("invalid utf-8 in a text message")
)

// protocolClosings are the closings of errWSProtocol and errInvalidUTF8.
var (
	closeWSProtocol  = closing{wire.CloseProtocolError, "protocol error", "ws_protocol_error"}
	closeInvalidUTF8 = closing{wire.CloseInvalidPayload, "invalid utf-8", "invalid_utf8"}
)

// readFailure classifies the error that ended a Read: nil when the peer
// closed or went away (or the server is ending the connection), else the
// reason to close with. The library has already sent its own close frame
// for the errors it detects; a second close is then a no-op.
func readFailure(ctx context.Context, err error) error {
	switch {
	case websocket.CloseStatus(err) != -1, ctx.Err() != nil,
		errors.Is(err, net.ErrClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil
	case errors.Is(err, websocket.ErrMessageTooBig):
		return nil // the library closed with 1009; counted by the caller
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return nil // a network failure: nobody to tell
	}
	return errWSProtocol
}

// textInvalid reports whether a text message is not valid UTF-8.
func textInvalid(typ websocket.MessageType, data []byte) bool {
	return typ == websocket.MessageText && !utf8.Valid(data)
}

// authDeadline closes the socket with 4001 when no auth frame has arrived
// within d. stop reports whether the deadline had already passed.
func (c *conn) authDeadline(d time.Duration) (stop func() bool) {
	t := time.AfterFunc(d, func() {
		_ = c.ws.Close(wire.CloseUnauthorized, "no auth frame in time")
	})
	return func() bool { return !t.Stop() }
}

// refuseVersion answers a handshake that asks for another protocol version
// than RFC 6455's 13 with 426 and Sec-WebSocket-Version: 13 (§4.4), where
// the library would answer 400; true when it did.
func (s *Server) refuseVersion(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Sec-WebSocket-Version") == "13" {
		return false
	}
	s.cfg.Metrics.Rejections.With(codeUnsupportedVersion).Inc()
	w.Header().Set("Sec-WebSocket-Version", "13")
	httpx.WriteError(w, http.StatusUpgradeRequired, codeUnsupportedVersion, "this server speaks WebSocket version 13 only")
	return true
}

// codeUnsupportedVersion is the error code of a handshake refused by
// refuseVersion.
const codeUnsupportedVersion = "unsupported_websocket_version"
