package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// chatSession is a visitor session started from a chat token.
type chatSession struct {
	issued  security.Issued
	visitor storage.Visitor
	user    storage.CustomerUser
}

// startChatSession validates a chat token for widget wg (checkChatToken)
// and starts a session of the customer user's visitor (created on first
// use, with the widget of that first use) that expires no later than the
// token. fields (name, email, phone from the request) are merged into the
// visitor. Refusals are *security.ChatTokenError.
func (a *API) startChatSession(ctx context.Context, raw string, wg storage.Widget, fields storage.Visitor, ip, ua string) (chatSession, error) {
	id, err := a.checkChatToken(ctx, raw, wg)
	if err != nil {
		return chatSession{}, err
	}
	v, err := a.customerVisitor(ctx, id.user, wg, fields)
	if err != nil {
		return chatSession{}, err
	}
	issued, err := a.cfg.Sessions.Start(ctx, security.StartParams{OrgID: v.OrgID, Kind: storage.SubjectVisitor,
		SubjectID: v.ID, IP: ip, UserAgent: ua, NotAfter: id.token.ExpiresAt})
	if err != nil {
		return chatSession{}, fmt.Errorf("start visitor session: %w", err)
	}
	return chatSession{issued: issued, visitor: v, user: id.user}, nil
}

// StartChatSession is startChatSession for the WebSocket (transport/ws's
// ChatSessions): it returns the new visitor session's token, on which the
// socket then proceeds as with any hlv_ token. Its errors wrap
// security.ErrChatTokenExpired or ErrChatTokenInvalid for a refused
// token; any other error means the token could not be checked (retry).
func (a *API) StartChatSession(ctx context.Context, token string, wg storage.Widget, ip, userAgent string) (string, error) {
	if err := a.chargeChatSession(ctx, ip, wg); err != nil {
		return "", err
	}
	s, err := a.startChatSession(ctx, token, wg, storage.Visitor{}, ip, truncate(userAgent, maxUALen))
	if err != nil {
		return "", err
	}
	return s.issued.AccessToken, nil
}

// chargeChatSession charges a socket's chat session to the visitor-session
// limits of POST /visitor/sessions (per client IP, per widget), so a
// token cannot mint sessions faster through the socket than through the
// endpoint. A refusal is security.ErrChatSessionLimited (the socket closes
// with "rate limited"), counted like the endpoint's.
func (a *API) chargeChatSession(ctx context.Context, ip string, wg storage.Widget) error {
	for _, c := range []struct {
		l   limiter
		key string
	}{{a.visitorIP, httpx.IPLimitKey(ip)}, {a.visitorWG, wg.ID}} {
		if c.l.l == nil {
			continue
		}
		ok, _, err := a.check(ctx, c.l, c.key)
		if err != nil {
			return fmt.Errorf("visitor session limit: %w", err)
		}
		if !ok {
			if a.cfg.Metrics != nil {
				a.cfg.Metrics.RateLimited.With(c.l.name).Inc()
			}
			return security.ErrChatSessionLimited
		}
	}
	return nil
}

// customerVisitor returns the customer user's one visitor, updated with
// fields and seen now, or creates it (named as the customer user) and links
// it. Of two first uses at once one links; the other uses the winner's.
func (a *API) customerVisitor(ctx context.Context, u storage.CustomerUser, wg storage.Widget, fields storage.Visitor) (storage.Visitor, error) {
	now := a.nowMs()
	if u.VisitorID != "" {
		return a.touchCustomerVisitor(ctx, u, fields, now)
	}
	v := storage.Visitor{ID: storage.NewID("vis"), OrgID: u.OrgID, WidgetID: wg.ID, Name: u.Name, Email: u.Email,
		CreatedAt: now, LastSeenAt: now}
	mergeVisitor(&v, fields)
	if err := a.cfg.Store.CreateVisitor(ctx, v); err != nil {
		return storage.Visitor{}, fmt.Errorf("create visitor: %w", err)
	}
	err := a.cfg.Store.SetCustomerUserVisitor(ctx, u.OrgID, u.ID, v.ID)
	switch {
	case errors.Is(err, storage.ErrConflict):
		won, err := a.cfg.Store.GetCustomerUser(ctx, u.OrgID, u.ID)
		if err != nil {
			return storage.Visitor{}, fmt.Errorf("reload customer user: %w", err)
		}
		return a.touchCustomerVisitor(ctx, won, fields, now)
	case errors.Is(err, storage.ErrNotFound):
		return storage.Visitor{}, security.ChatTokenRefused(security.ChatReasonCustomerUser)
	case err != nil:
		return storage.Visitor{}, fmt.Errorf("link visitor: %w", err)
	}
	a.emit(ctx, v.OrgID, EventVisitorCreated, WebhookVisitor(v)) // the linked one: a lost race emits nothing
	return v, nil
}

// touchCustomerVisitor loads the user's linked visitor and records fields
// and the visit.
func (a *API) touchCustomerVisitor(ctx context.Context, u storage.CustomerUser, fields storage.Visitor, now time.Time) (storage.Visitor, error) {
	v, err := a.cfg.Store.GetVisitor(ctx, u.OrgID, u.VisitorID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && v.Deleted() {
		return storage.Visitor{}, security.ChatTokenRefused(security.ChatReasonCustomerUser)
	}
	if err != nil {
		return storage.Visitor{}, fmt.Errorf("load visitor of customer user: %w", err)
	}
	mergeVisitor(&v, fields)
	v.LastSeenAt = now
	if err := a.cfg.Store.UpdateVisitor(ctx, v); err != nil {
		return storage.Visitor{}, fmt.Errorf("update visitor: %w", err)
	}
	return v, nil
}

// startTokenVisitorSession answers POST /visitor/sessions with a token:
// the session of the token's customer user (401 token_expired or
// invalid_token when the token is refused).
func (a *API) startTokenVisitorSession(w http.ResponseWriter, r *http.Request, wg storage.Widget, raw string, fields storage.Visitor) error {
	s, err := a.startChatSession(r.Context(), raw, wg, fields, a.clientIP(r), truncate(r.UserAgent(), maxUALen))
	if err != nil {
		return chatTokenError(err)
	}
	ttl := s.issued.AccessExpiresAt.Sub(a.now())
	setVisitorCookie(w, s.issued.AccessToken, ttl)
	httpx.WriteJSON(w, http.StatusCreated, visitorSessionResponse{Visitor: visitorRef{ID: s.visitor.ID},
		Token: s.issued.AccessToken, ExpiresIn: seconds(ttl), CustomerUserID: s.user.ID})
	return nil
}
