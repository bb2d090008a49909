package api

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// caller is an authenticated request's principal. Agent is loaded for agent
// sessions (its role decides permissions) and zero for visitors. Key is
// set (and SessionID empty) when a secret API key authenticated the
// request: the caller is then the key's owner, limited to the key's scopes.
type caller struct {
	security.Principal
	Agent storage.Agent
	Key   *storage.APIKey // nil for sessions
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
		if !fromCookie && isAPIKeyText(token) {
			return a.keyAuthed(w, r, token, h)
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
		return nil, a.unavailable("authenticate", err)
	}
	c := &caller{Principal: p}
	if !c.isAgent() {
		return c, nil
	}
	c.Agent, err = a.cfg.Store.GetAgent(r.Context(), p.OrgID, p.SubjectID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && (c.Agent.Deleted() || c.Agent.Deactivated()) {
		a.authFailed(reasonUnauthorized)
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, a.unavailable("load agent of session", err)
	}
	return c, nil
}

// tokenRejected reports whether err is a session error that means 401 (as
// opposed to a store failure, which means 503: see unavailable).
func tokenRejected(err error) bool { return security.Rejected(err) }

// errUnavailable is the answer when a token (or the session's agent) could
// not be checked because the store did not answer: retryable, the session
// is not in doubt, so clients keep their tokens and retry with backoff.
var errUnavailable = httpx.NewError(http.StatusServiceUnavailable, codeUnavailable,
	"the session could not be checked (the store is unavailable); it is still valid, retry shortly")

// unavailable logs a store failure met during op as a warning (at most once
// a minute; the error never carries the token) and returns errUnavailable.
// Every error of a session check other than a rejection is treated so: the
// token was not checked, which is never a reason to sign anyone out.
func (a *API) unavailable(op string, err error) *httpx.Error {
	if n, ok := a.outage.allow(a.now()); ok {
		a.log.Warn().Err(err).Str("during", op).Int("suppressed", n).
			Msg("store unavailable: request refused with 503, session kept; logged at most once a minute")
	}
	return errUnavailable
}

// storeUnavailable reports whether err says the store did not answer.
func storeUnavailable(err error) bool {
	return errors.Is(err, security.ErrUnavailable) || errors.Is(err, storage.ErrUnavailable)
}

// outageLog rate-limits the store-outage warning to one a minute. Its zero
// value is ready; safe for concurrent use.
type outageLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether to log now, and how many warnings were suppressed
// since the last one.
func (o *outageLog) allow(now time.Time) (suppressed int, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.last.IsZero() && now.Sub(o.last) < time.Minute {
		o.suppressed++
		return 0, false
	}
	n := o.suppressed
	o.last, o.suppressed = now, 0
	return n, true
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
