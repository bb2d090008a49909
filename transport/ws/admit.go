package ws

import (
	"errors"
	"net/http"
	"slices"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// VisitorCookie is the widget iframe's visitor session cookie, set by the
// REST visitor session endpoint (transport/api.VisitorCookie).
const VisitorCookie = "__Host-helpr_visitor"

// gate is what the pre-upgrade checks learned about a connection.
type gate struct {
	origin string          // "" for non-browser clients
	widget *storage.Widget // set when the client named a publishable key
	// token is set when the client authenticated at upgrade (header or
	// cookie); otherwise the first frame must be an auth frame.
	token     [32]byte
	principal *security.Principal
	// chatToken is a chat JWT from the upgrade's Authorization header,
	// until upgrade trades it for a visitor session (admitChatToken).
	chatToken string
	// ip and userAgent are the client's, for sessions started from a chat
	// token.
	ip, userAgent string
}

// admit runs every check that must happen before the upgrade, so that a
// cross-site page or a bad token never gets a socket:
//   - a visitor's browser names its widget (?key=pk_…) and must come from one
//     of that widget's allowed origins, exactly;
//   - any other browser must come from the server's own origin (its public
//     origin or one of its aliases);
//   - a token in the Authorization header (any client) or, for browsers
//     only, in a cookie is validated now: the visitor cookie when the widget
//     iframe (a key and the server's own Origin) connects, else the access
//     cookie. A client without Origin is never authenticated by cookie.
func (s *Server) admit(r *http.Request) (gate, *httpx.Error) {
	g := gate{origin: r.Header.Get("Origin"), ip: s.cfg.ClientIP.ClientIP(r), userAgent: r.UserAgent()}
	if key := r.URL.Query().Get("key"); key != "" {
		w, err := s.cfg.Directory.GetWidgetByKey(r.Context(), key)
		if err == nil && !w.AcceptsKey(key, s.cfg.Now()) { // a rotated-out key past its overlap
			err = storage.ErrNotFound
		}
		if err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return g, &httpx.Error{Status: http.StatusForbidden, Code: "forbidden", Message: "unknown widget key"}
			}
			s.outage.warn("upgrade", err)
			return g, errUnavailableHTTP("could not check the widget key; retry shortly", err)
		}
		g.widget = &w
	}
	if !s.originAllowed(g) {
		s.refused.Warn(g.origin, s.originHint(g))
		return g, &httpx.Error{Status: http.StatusForbidden, Code: "forbidden_origin", Message: "this origin may not open a chat connection"}
	}
	token, ok := httpx.BearerToken(r)
	if !ok && g.widget != nil && s.ownOrigin(g.origin) {
		// The widget iframe runs on the hub's own origin: its visitor cookie.
		token, ok = httpx.CookieToken(r, VisitorCookie)
	}
	if !ok && g.origin != "" {
		token, ok = httpx.CookieToken(r, httpx.CookieName(httpx.AccessCookie, s.cfg.SecureCookies))
	}
	if !ok {
		return g, nil // authenticate with the first frame
	}
	if security.LooksLikeChatToken(token) {
		g.chatToken = token // traded for a session by upgrade (admitChatToken)
		return g, nil
	}
	g.token = security.HashToken(token)
	p, err := s.cfg.Sessions.ValidateHash(r.Context(), g.token)
	if isUnavailable(err) {
		s.outage.warn("upgrade", err)
		return g, errUnavailableHTTP("could not check the session; it is still valid, retry shortly", err)
	}
	if err != nil {
		s.cfg.Metrics.AuthFailures.With(authFailureReason(err)).Inc()
		return g, &httpx.Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "invalid or expired token"}
	}
	g.principal = &p
	return g, nil
}

// originAllowed applies the exact-match origin allowlist. Clients that send
// no Origin are not browsers and cannot be driven by a hostile page.
func (s *Server) originAllowed(g gate) bool {
	switch {
	case g.origin == "":
		return true
	case s.ownOrigin(g.origin):
		return true
	case g.widget != nil:
		return slices.Contains(g.widget.AllowedOrigins, g.origin)
	default:
		return false
	}
}

// subjectAllowed checks, once the principal is known, that it may use the
// door it came through: a widget's origin admits only visitors of that
// widget's organisation.
func (g gate) subjectAllowed(p security.Principal) bool {
	if g.widget == nil {
		return true
	}
	return p.Kind == storage.SubjectVisitor && p.OrgID == g.widget.OrgID
}

// ownOrigin reports whether origin is this hub's: its public origin or one
// of the aliases.
func (s *Server) ownOrigin(origin string) bool {
	return origin != "" && slices.Contains(s.own, origin)
}

// originHint says how an operator allows a refused origin: a widget's
// allowed origins for a widget connection, else --public-url.
func (s *Server) originHint(g gate) string {
	if g.widget != nil {
		return "not an allowed origin of widget " + g.widget.ID + "; add it to the widget's allowed origins (console → Widgets)"
	}
	return "not this hub's origin " + s.cfg.PublicOrigin + "; if browsers reach helpr at that address, start it with --public-url set to it"
}

// errUnavailableHTTP is the upgrade's refusal when the store did not
// answer: 503 "unavailable", retryable, the credentials kept.
func errUnavailableHTTP(message string, cause error) *httpx.Error {
	return &httpx.Error{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Message: message, Internal: cause}
}

// codeUnavailable is the HTTP error code of a refusal for a store outage
// (the REST API's "unavailable" too).
const codeUnavailable = "unavailable"
