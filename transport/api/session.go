package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

var errRefreshReused = httpx.NewError(http.StatusUnauthorized, httpx.CodeRefreshReused,
	"refresh token was already used; the session has been revoked")

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// handleRefresh rotates a refresh token taken from the body or, when the
// body names none, from the refresh cookie (then Origin must be ours).
func (a *API) handleRefresh(w http.ResponseWriter, r *http.Request) error {
	var req refreshRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	token, fromCookie := req.RefreshToken, false
	if token == "" {
		token, fromCookie = httpx.CookieToken(r, httpx.CookieName(httpx.RefreshCookie, a.cfg.SecureCookies))
	}
	if token == "" {
		return httpx.NewError(http.StatusUnauthorized, httpx.CodeUnauthorized, "refresh token required")
	}
	if fromCookie && !a.sameOrigin(r) {
		return a.crossOrigin(r)
	}
	issued, err := a.cfg.Sessions.Refresh(r.Context(), token)
	if err != nil {
		return a.refreshFailed(w, r, token, err)
	}
	a.writeTokens(w, issued)
	return nil
}

// refreshFailed maps the failure, clearing the cookies only when the token
// was refused (a store outage answers 503 and keeps them); a reuse after the
// grace window is audited against the session it revoked.
func (a *API) refreshFailed(w http.ResponseWriter, r *http.Request, token string, err error) error {
	if errors.Is(err, security.ErrRefreshReused) {
		a.authFailed(reasonRefreshReused)
		a.clearCookies(w)
		a.auditReuse(r, token)
		return errRefreshReused
	}
	if tokenRejected(err) {
		a.authFailed(tokenReason(err))
		a.clearCookies(w)
		return errUnauthorized
	}
	if storeUnavailable(err) {
		// Not checked: nothing was revoked or rotated, so the cookies stay
		// and the client retries the same token.
		return a.unavailable("refresh session", err)
	}
	return fmt.Errorf("refresh session: %w", err)
}

// auditReuse records auth.refresh_reused for the token's session.
func (a *API) auditReuse(r *http.Request, token string) {
	ctx := context.WithoutCancel(r.Context())
	hash := security.HashToken(token)
	rt, err := a.cfg.Store.GetRefreshToken(ctx, hash[:])
	if err != nil {
		a.log.Warn().Err(err).Msg("audit refresh reuse: token lookup failed")
		return
	}
	s, err := a.cfg.Store.GetSession(ctx, rt.SessionID)
	if err != nil {
		a.log.Warn().Err(err).Msg("audit refresh reuse: session lookup failed")
		return
	}
	a.audit(r, storage.AuditEvent{OrgID: s.OrgID, ActorKind: s.SubjectKind, ActorID: s.SubjectID,
		Action: "auth.refresh_reused", TargetID: s.ID,
		Detail: fmt.Sprintf("generation %d reused", rt.Generation)})
}

// handleLogout revokes the caller's session and clears the cookies.
func (a *API) handleLogout(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := a.cfg.Sessions.Revoke(r.Context(), c.SessionID); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: c.Kind, ActorID: c.SubjectID,
		Action: "auth.logout", TargetID: c.SessionID})
	if c.isAgent() {
		a.clearCookies(w)
	} else {
		clearVisitorCookie(w)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type meAgent struct {
	Kind storage.SubjectKind `json:"kind"`
	agentView
}

type meVisitor struct {
	Kind     storage.SubjectKind `json:"kind"`
	ID       string              `json:"id"`
	OrgID    string              `json:"org_id"`
	WidgetID string              `json:"widget_id"`
}

// handleMe describes the caller.
func (a *API) handleMe(w http.ResponseWriter, r *http.Request, c *caller) error {
	if c.isAgent() {
		httpx.WriteJSON(w, http.StatusOK, meAgent{Kind: storage.SubjectAgent, agentView: viewAgent(c.Agent)})
		return nil
	}
	v, err := a.cfg.Store.GetVisitor(r.Context(), c.OrgID, c.SubjectID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && v.Deleted() {
		return errUnauthorized
	}
	if err != nil {
		return fmt.Errorf("load visitor: %w", err)
	}
	httpx.WriteJSON(w, http.StatusOK, meVisitor{Kind: storage.SubjectVisitor, ID: v.ID, OrgID: v.OrgID, WidgetID: v.WidgetID})
	return nil
}
