package ws

import (
	"context"
	"errors"
	"net/http"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/wire"
)

// ChatSessions starts visitor sessions from chat tokens (the JWTs of
// customers' users, docs/chat-tokens.md); transport/api's *API implements
// it with the same checks as POST /visitor/sessions. StartChatSession
// validates token for a visitor of widget w and returns the token of a new
// visitor session that expires no later than the chat token. Its errors
// wrap security.ErrChatTokenExpired or security.ErrChatTokenInvalid when
// the token is refused, security.ErrChatSessionLimited when the visitor-
// session limits refuse the client (close "rate limited"); any other
// error means it could not be checked.
// Safe for concurrent use.
type ChatSessions interface {
	StartChatSession(ctx context.Context, token string, w storage.Widget, ip, userAgent string) (string, error)
}

// A socket may present a chat token wherever it may present an hlv_
// token: in the Authorization header of the upgrade or in the auth frame
// (and a re-auth frame). The server trades it for a visitor session
// (ChatSessions) and from then on treats the connection exactly as one
// authenticated with that session: revoking it (POST
// /auth/invalidate-token revokes the customer user's sessions) closes the
// socket on every node with CloseSessionRevoked, and its expiry, which is
// the chat token's at the latest, closes it with CloseTokenExpired. A
// chat token needs the widget's key (?key=pk_…): it is checked against
// that widget's organisation.

// chatTokenFailure is the reason to refuse a connection whose chat token
// was refused (or could not be checked).
func chatTokenFailure(err error) error {
	switch {
	case errors.Is(err, security.ErrChatTokenExpired):
		return errTokenExpired
	case errors.Is(err, security.ErrChatTokenInvalid):
		return errUnauthorized
	case errors.Is(err, security.ErrChatSessionLimited):
		return errRateLimited
	default:
		return errUnavailable
	}
}

// exchangeChatToken trades a chat token presented through gate g for a
// visitor session token. Without ChatSessions or a widget it is refused.
func (s *Server) exchangeChatToken(ctx context.Context, token string, g gate) (string, error) {
	if s.cfg.ChatSessions == nil || g.widget == nil {
		s.cfg.Metrics.AuthFailures.With(closeFor(errUnauthorized).label).Inc()
		return "", errUnauthorized
	}
	tok, err := s.cfg.ChatSessions.StartChatSession(ctx, token, *g.widget, g.ip, g.userAgent)
	if err != nil {
		why := chatTokenFailure(err)
		if errors.Is(why, errUnavailable) {
			s.outage.warn("chat token", err)
		} else {
			s.cfg.Metrics.AuthFailures.With(closeFor(why).label).Inc()
		}
		return "", why
	}
	return tok, nil
}

// admitChatToken completes the admission of an upgrade that carried a chat
// token in its Authorization header: the token is traded for a visitor
// session, which then authenticates the connection as any hlv_ token.
func (s *Server) admitChatToken(r *http.Request, g *gate) *httpx.Error {
	tok, err := s.exchangeChatToken(r.Context(), g.chatToken, *g)
	g.chatToken = ""
	switch {
	case errors.Is(err, errTokenExpired):
		return &httpx.Error{Status: http.StatusUnauthorized, Code: "token_expired", Message: "the chat token has expired; fetch a new one"}
	case errors.Is(err, errUnavailable):
		return errUnavailableHTTP("could not check the chat token; retry shortly", err)
	case errors.Is(err, errRateLimited):
		return &httpx.Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "too many visitor sessions; retry later"}
	case err != nil:
		return &httpx.Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "invalid chat token"}
	}
	g.token = security.HashToken(tok)
	p, err := s.cfg.Sessions.ValidateHash(r.Context(), g.token)
	if err != nil {
		return errUnavailableHTTP("could not check the new session; retry shortly", err)
	}
	g.principal = &p
	return nil
}

// sendReauthRefusal answers a re-auth frame whose chat token was refused
// (the connection stays on its current session).
func (c *conn) sendReauthRefusal(ref string, err error) {
	if errors.Is(err, errUnavailable) {
		c.sendError(ref, wire.CodeUnavailable, "could not check the token; retry shortly")
		return
	}
	if errors.Is(err, errRateLimited) {
		c.sendError(ref, wire.CodeRateLimited, "too many visitor sessions; retry later")
		return
	}
	c.sendError(ref, wire.CodeUnauthorized, "invalid or expired token")
}
