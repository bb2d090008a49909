package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// VisitorCookie holds a visitor's session token in the widget iframe, which
// is served from the hub's own origin inside a third-party page. It is
// always Secure (browsers treat http://localhost as secure too), HttpOnly,
// SameSite=None and Partitioned (CHIPS), so it is keyed to the embedding
// site and never readable by script. transport/ws reads the same name.
const VisitorCookie = "__Host-helpr_visitor"

// setVisitorCookie stores a visitor token for ttl.
func setVisitorCookie(w http.ResponseWriter, token string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: VisitorCookie, Value: token, Path: "/",
		MaxAge: int(ttl / time.Second), HttpOnly: true, Secure: true,
		SameSite: http.SameSiteNoneMode, Partitioned: true})
}

// clearVisitorCookie tells the browser to delete the visitor cookie.
func clearVisitorCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: VisitorCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true})
}

// visitorToken returns the visitor token a resume may use: the bearer token,
// or else the visitor cookie.
func visitorToken(r *http.Request) (string, bool) {
	if tok, ok := httpx.BearerToken(r); ok {
		return tok, true
	}
	return httpx.CookieToken(r, VisitorCookie)
}

type visitorProbeResponse struct {
	Visitor *visitorRef `json:"visitor"`
}

// handleVisitorProbe tells the widget iframe whether its visitor cookie (or
// bearer token) names a live visitor, without failing when it does not: 200
// with {"visitor": null} rather than 401, so a first visit logs no error.
func (a *API) handleVisitorProbe(w http.ResponseWriter, r *http.Request) error {
	out := visitorProbeResponse{}
	if tok, ok := visitorToken(r); ok {
		p, err := a.cfg.Sessions.Authenticate(r.Context(), tok)
		switch {
		case tokenRejected(err):
		case err != nil:
			return fmt.Errorf("authenticate visitor: %w", err)
		case p.Kind == storage.SubjectVisitor:
			v, err := a.cfg.Store.GetVisitor(r.Context(), p.OrgID, p.SubjectID)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("load visitor: %w", err)
			}
			if err == nil && !v.Deleted() {
				out.Visitor = &visitorRef{ID: v.ID}
			}
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
