package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// caller is an authenticated request's principal. Agent is loaded for agent
// sessions (its role decides permissions) and zero for visitors.
type caller struct {
	security.Principal
	Agent storage.Agent
}

func (c *caller) isAgent() bool { return c.Kind == storage.SubjectAgent }

// authedFunc is an endpoint that needs an authenticated caller.
type authedFunc func(w http.ResponseWriter, r *http.Request, c *caller) error

// authed authenticates the request (Bearer header first, then the access
// cookie; never the URL) and, for cookie authentication of a
// state-changing method, requires the hub's own Origin (sameOrigin).
func (a *API) authed(h authedFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token, fromCookie := a.requestToken(r)
		if token == "" {
			a.authFailed(reasonUnauthorized)
			return errUnauthorized
		}
		if fromCookie && !safeMethod(r.Method) && !a.sameOrigin(r) {
			return a.crossOrigin(r)
		}
		c, err := a.authenticate(r, token)
		if err != nil {
			return err
		}
		return h(w, r, c)
	}
}

// requestToken returns the bearer token, or else the access cookie's value
// (else the visitor cookie's: the widget iframe) with fromCookie set.
func (a *API) requestToken(r *http.Request) (token string, fromCookie bool) {
	if tok, ok := httpx.BearerToken(r); ok {
		return tok, false
	}
	if tok, ok := httpx.CookieToken(r, httpx.CookieName(httpx.AccessCookie, a.cfg.SecureCookies)); ok {
		return tok, true
	}
	if tok, ok := httpx.CookieToken(r, VisitorCookie); ok {
		return tok, true
	}
	return "", false
}

func (a *API) authenticate(r *http.Request, token string) (*caller, error) {
	p, err := a.cfg.Sessions.Authenticate(r.Context(), token)
	if tokenRejected(err) {
		a.authFailed(tokenReason(err))
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	c := &caller{Principal: p}
	if !c.isAgent() {
		return c, nil
	}
	c.Agent, err = a.cfg.Store.GetAgent(r.Context(), p.OrgID, p.SubjectID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && c.Agent.Deleted() {
		a.authFailed(reasonUnauthorized)
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, fmt.Errorf("load agent of session: %w", err)
	}
	return c, nil
}

// tokenRejected reports whether err is a session error that means 401 (as
// opposed to a store failure).
func tokenRejected(err error) bool {
	return errors.Is(err, security.ErrInvalidToken) || errors.Is(err, security.ErrTokenExpired) ||
		errors.Is(err, security.ErrSessionRevoked) || errors.Is(err, security.ErrRefreshReused)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// agentOnly refuses visitors.
func (a *API) agentOnly(h authedFunc) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		if !c.isAgent() {
			return errForbidden
		}
		return h(w, r, c)
	}
}

// manager admits owners and admins only.
func (a *API) manager(h authedFunc) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		if !c.isAgent() || !c.Agent.Role.CanManage() {
			return errForbidden
		}
		return h(w, r, c)
	}
}

// sameOrigin reports whether the request comes from the hub's own origin
// (the public origin or one of its aliases).
func (a *API) sameOrigin(r *http.Request) bool { return httpx.SameOrigin(r, a.own...) }

// crossOrigin refuses a cookie-authenticated request from another origin,
// counts it and logs (once per origin) how to allow that origin.
func (a *API) crossOrigin(r *http.Request) error {
	a.authFailed(reasonForbiddenOrigin)
	if o := r.Header.Get("Origin"); o != "" {
		a.refused.Warn(o, "not this hub's origin "+a.cfg.PublicOrigin+
			"; if browsers reach helpr at that address, start it with --public-url set to it")
	}
	return errCrossOrigin
}
