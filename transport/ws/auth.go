package ws

import (
	"context"
	"errors"
	"fmt"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/wire"
)

// authenticate establishes who is on the connection: from the upgrade
// request when it carried a token, else from an auth frame that must arrive
// first and within the auth timeout. Then it binds the connection to its
// session (so a revocation closes it), registers presence and, for agents,
// the organisation inbox.
func (c *conn) authenticate(ctx context.Context) error {
	if c.gate.principal != nil {
		c.principal, c.tokenHash = *c.gate.principal, c.gate.token
	} else if err := c.readAuthFrame(ctx); err != nil {
		return err
	} else if !c.slots.addSubject(c.principal) {
		return errTooManyConns
	}
	if !c.gate.subjectAllowed(c.principal) {
		return errForbidden
	}
	c.actor = hub.Actor{OrgID: c.principal.OrgID, Kind: c.principal.Kind, ID: c.principal.SubjectID}
	if isVisitor(c.principal) {
		w, err := c.visitorWidget(ctx)
		if errors.Is(err, storage.ErrNotFound) {
			return errUnauthorized
		}
		if err != nil {
			c.s.outage.warn("auth", err)
			return errUnavailable
		}
		c.widgetID = w
	}
	c.s.bind(c, c.principal.SessionID)
	// A revocation that raced with the bind above would have missed this
	// connection; one more check closes that window.
	if _, err := c.s.cfg.Sessions.ValidateHash(ctx, c.tokenHash); err != nil {
		return c.tokenRefused("auth", err)
	}
	c.cleanups = append(c.cleanups, c.s.cfg.Hub.Connect(c.actor))
	if c.principal.Kind == storage.SubjectAgent {
		c.cleanups = append(c.cleanups, c.s.cfg.Hub.SubscribeInbox(c.actor, c), c.stopActivity)
		if err := c.watchActivity(hub.ActivityAll); err != nil {
			return fmt.Errorf("watch activity: %w", err)
		}
	}
	return nil
}

// readAuthFrame waits for the first frame, which must be a valid auth frame.
func (c *conn) readAuthFrame(ctx context.Context) error {
	// Not a read context: the library would drop the socket without the
	// 4001 close frame that the deadline owes the client.
	expired := c.authDeadline(c.s.cfg.AuthTimeout)
	typ, data, err := c.ws.Read(ctx)
	switch {
	case expired():
		return errUnauthorized
	case err != nil:
		if why := readFailure(ctx, err); why != nil {
			return why
		}
		return errUnauthorized
	case textInvalid(typ, data):
		return errInvalidUTF8
	case typ != websocket.MessageText:
		return errUnauthorized
	}
	c.s.cfg.Metrics.FramesIn.Inc()
	f, err := wire.DecodeClient(data)
	if err != nil || f.Auth == nil {
		return errUnauthorized
	}
	token := f.Auth.Token
	if security.LooksLikeChatToken(token) {
		if token, err = c.s.exchangeChatToken(ctx, token, c.gate); err != nil {
			return err
		}
	}
	hash := security.HashToken(token)
	p, err := c.s.cfg.Sessions.ValidateHash(ctx, hash)
	if err != nil {
		return c.tokenRefused("auth", err)
	}
	c.principal, c.tokenHash = p, hash
	return nil
}

// reauth swaps the connection onto a fresh access token of the same
// subject (after a refresh), so a long-lived socket outlives its first
// token without reconnecting.
func (c *conn) reauth(ctx context.Context, ref string, a *wire.Auth) {
	token := a.Token
	if security.LooksLikeChatToken(token) {
		var err error
		if token, err = c.s.exchangeChatToken(ctx, token, c.gate); err != nil {
			c.sendReauthRefusal(ref, err)
			return
		}
	}
	hash := security.HashToken(token)
	p, err := c.s.cfg.Sessions.ValidateHash(ctx, hash)
	if isUnavailable(err) {
		c.s.outage.warn("reauth", err)
		c.sendError(ref, wire.CodeUnavailable, "could not check the token; retry shortly")
		return
	}
	if err != nil {
		c.s.cfg.Metrics.AuthFailures.With(authFailureReason(err)).Inc()
		c.sendError(ref, wire.CodeUnauthorized, "invalid or expired token")
		return
	}
	if p.Kind != c.principal.Kind || p.SubjectID != c.principal.SubjectID || p.OrgID != c.principal.OrgID {
		c.sendError(ref, wire.CodeForbidden, "the token belongs to another subject")
		return
	}
	c.s.rebind(c, p.SessionID)
	c.tokenMu.Lock()
	c.tokenHash = hash
	c.principal.ExpiresAt = p.ExpiresAt
	c.principal.SessionID = p.SessionID
	c.tokenMu.Unlock()
	c.sendReady(ref)
}

// tokenRefused turns a failed validation of the connection's token during op
// into the reason to close for: a store outage is logged (rate limited) and
// is errUnavailable (close 1013, retry), anything else counts as an
// authentication failure.
func (c *conn) tokenRefused(op string, err error) error {
	reason := tokenFailure(err)
	if errors.Is(reason, errUnavailable) {
		c.s.outage.warn(op, err)
		return reason
	}
	c.s.cfg.Metrics.AuthFailures.With(closeFor(reason).label).Inc()
	return reason
}
