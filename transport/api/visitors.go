package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

const maxKeyLen = 64

type visitorSessionRequest struct {
	PublishableKey string `json:"publishable_key"`
	Name           string `json:"name"`
	Email          string `json:"email"`
	Phone          string `json:"phone"`
	// Token is a chat token (docs/chat-tokens.md): the session is then the
	// token's customer user's visitor, on every device.
	Token string `json:"token"`
}

type visitorSessionResponse struct {
	Visitor   visitorRef `json:"visitor"`
	Token     string     `json:"token"`
	ExpiresIn int64      `json:"expires_in"`
	// CustomerUserID is set for a session started with a chat token.
	CustomerUserID string `json:"customer_user_id,omitempty"`
}

type visitorRef struct {
	ID string `json:"id"`
}

// handleVisitorSession starts (or resumes) an anonymous visitor session for
// a widget. A browser's Origin must be one of the widget's allowed origins.
// Once the body and key are well-formed the request is charged to its
// client IP (before the widget is looked up, so unknown keys cost no
// lookup once the limit is reached) and, once the widget is known and the
// origin allowed, to the widget.
func (a *API) handleVisitorSession(w http.ResponseWriter, r *http.Request) error {
	w.Header().Add("Vary", "Origin")
	var req visitorSessionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	key, e := publishableKey(r, req.PublishableKey)
	if e != nil {
		return e
	}
	if !a.admit(w, r, a.visitorIP, httpx.IPLimitKey(a.clientIP(r))) {
		return nil
	}
	wg, err := a.widgetByKey(r, key)
	if err != nil {
		return err
	}
	if err := a.allowCORS(w, r, wg); err != nil {
		return err
	}
	if !a.admit(w, r, a.visitorWG, wg.ID) {
		return nil
	}
	fields, err := visitorFields(req)
	if err != nil {
		return err
	}
	if req.Token != "" {
		return a.startTokenVisitorSession(w, r, wg, req.Token, fields)
	}
	v, notAfter, err := a.visitorFor(r, wg, fields)
	if err != nil {
		return err
	}
	return a.startVisitorSession(w, r, v, notAfter)
}

// widgetByKey looks up the widget of a publishable key (404 when unknown).
func (a *API) widgetByKey(r *http.Request, key string) (storage.Widget, error) {
	wg, err := a.openWidgetByKey(r.Context(), key)
	if errors.Is(err, storage.ErrNotFound) {
		return wg, httpx.NewError(http.StatusNotFound, httpx.CodeNotFound, "unknown publishable key")
	}
	if err != nil {
		return wg, fmt.Errorf("look up widget: %w", err)
	}
	return wg, nil
}

// publishableKey takes the key from the body; a ?publishable_key= query
// (used so preflights can be answered) must agree with it.
func publishableKey(r *http.Request, body string) (string, *httpx.Error) {
	key := strings.TrimSpace(body)
	if key == "" || len(key) > maxKeyLen || !strings.HasPrefix(key, "pk_") {
		return "", invalid(`publishable_key is required and starts with "pk_"`)
	}
	if q, ok := r.URL.Query()["publishable_key"]; ok && (len(q) != 1 || q[0] != key) {
		return "", invalid("publishable_key in the query and the body differ")
	}
	return key, nil
}

// allowCORS admits requests without an Origin (server-side clients), the
// hub's own origin (the widget iframe; same-origin, so no CORS header) and
// browser requests whose Origin is exactly one of the widget's; for those it
// sets Access-Control-Allow-Origin. Any other Origin is forbidden.
func (a *API) allowCORS(w http.ResponseWriter, r *http.Request, wg storage.Widget) error {
	origins := r.Header.Values("Origin")
	if len(origins) == 0 || a.sameOrigin(r) {
		return nil
	}
	if len(origins) != 1 || !originAllowed(origins[0], wg.AllowedOrigins) {
		a.authFailed(reasonForbiddenOrigin)
		a.refused.Warn(origins[0], "not an allowed origin of widget "+wg.ID+
			"; add it to the widget's allowed origins (console → Widgets)")
		return httpx.NewError(http.StatusForbidden, httpx.CodeForbidden, "origin is not allowed for this widget")
	}
	w.Header().Set("Access-Control-Allow-Origin", origins[0])
	return nil
}

// visitorFields validates the optional name, email and phone.
func visitorFields(req visitorSessionRequest) (storage.Visitor, error) {
	name, e := optionalText("name", req.Name, maxNameLen)
	if e != nil {
		return storage.Visitor{}, e
	}
	email, e := optionalEmail("email", req.Email)
	if e != nil {
		return storage.Visitor{}, e
	}
	phone, e := optionalPhone(req.Phone)
	if e != nil {
		return storage.Visitor{}, e
	}
	return storage.Visitor{Name: name, Email: email, Phone: phone}, nil
}

// visitorFor resumes the visitor of a valid visitor token of the same
// widget (updating the given fields), or creates a new visitor. notAfter
// is non-zero when the resumed visitor is a customer user's (chat
// tokens): the new session must then end no later than the presented one,
// which ends with its chat token, so a resume never outlives the token.
func (a *API) visitorFor(r *http.Request, wg storage.Widget, fields storage.Visitor) (v storage.Visitor, notAfter time.Time, err error) {
	v, until, ok, err := a.resumable(r, wg)
	if err != nil {
		return storage.Visitor{}, time.Time{}, err
	}
	now := a.nowMs()
	if ok {
		if notAfter, err = a.identifiedUntil(r, v, until); err != nil {
			return storage.Visitor{}, time.Time{}, err
		}
		mergeVisitor(&v, fields)
		v.LastSeenAt = now
		if err := a.cfg.Store.UpdateVisitor(r.Context(), v); err != nil {
			return storage.Visitor{}, time.Time{}, fmt.Errorf("update visitor: %w", err)
		}
		return v, notAfter, nil
	}
	v = fields
	v.ID, v.OrgID, v.WidgetID = storage.NewID("vis"), wg.OrgID, wg.ID
	v.CreatedAt, v.LastSeenAt = now, now
	if err := a.cfg.Store.CreateVisitor(r.Context(), v); err != nil {
		return storage.Visitor{}, time.Time{}, fmt.Errorf("create visitor: %w", err)
	}
	a.emit(r.Context(), v.OrgID, EventVisitorCreated, WebhookVisitor(v))
	return v, time.Time{}, nil
}

// identifiedUntil returns until when v is a customer user's visitor, else
// the zero time (an anonymous visitor's resume gets a full session).
func (a *API) identifiedUntil(r *http.Request, v storage.Visitor, until time.Time) (time.Time, error) {
	_, err := a.cfg.Store.GetCustomerUserByVisitor(r.Context(), v.OrgID, v.ID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("customer user of visitor: %w", err)
	}
	return until, nil
}

// resumable returns the visitor named by the request's bearer token (else
// its visitor cookie) when it is a valid visitor token of widget wg and the visitor is not erased. A rejected token is not an error:
// the caller starts a new visitor.
// until is the presented token's expiry.
func (a *API) resumable(r *http.Request, wg storage.Widget) (v storage.Visitor, until time.Time, ok bool, err error) {
	tok, ok := visitorToken(r)
	if !ok {
		return storage.Visitor{}, time.Time{}, false, nil
	}
	p, err := a.cfg.Sessions.Authenticate(r.Context(), tok)
	if tokenRejected(err) {
		return storage.Visitor{}, time.Time{}, false, nil
	}
	if err != nil {
		return storage.Visitor{}, time.Time{}, false, fmt.Errorf("authenticate visitor: %w", err)
	}
	if p.Kind != storage.SubjectVisitor || p.OrgID != wg.OrgID {
		return storage.Visitor{}, time.Time{}, false, nil
	}
	v, err = a.cfg.Store.GetVisitor(r.Context(), p.OrgID, p.SubjectID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Visitor{}, time.Time{}, false, nil
	}
	if err != nil {
		return storage.Visitor{}, time.Time{}, false, fmt.Errorf("load visitor: %w", err)
	}
	return v, p.ExpiresAt, v.WidgetID == wg.ID && !v.Deleted(), nil
}

func mergeVisitor(v *storage.Visitor, f storage.Visitor) {
	if f.Name != "" {
		v.Name = f.Name
	}
	if f.Email != "" {
		v.Email = f.Email
	}
	if f.Phone != "" {
		v.Phone = f.Phone
	}
}

func (a *API) startVisitorSession(w http.ResponseWriter, r *http.Request, v storage.Visitor, notAfter time.Time) error {
	issued, err := a.cfg.Sessions.Start(r.Context(), security.StartParams{OrgID: v.OrgID,
		Kind: storage.SubjectVisitor, SubjectID: v.ID, IP: a.clientIP(r),
		UserAgent: truncate(r.UserAgent(), maxUALen), NotAfter: notAfter})
	if err != nil {
		return fmt.Errorf("start visitor session: %w", err)
	}
	ttl := issued.AccessExpiresAt.Sub(a.now())
	setVisitorCookie(w, issued.AccessToken, ttl)
	httpx.WriteJSON(w, http.StatusCreated, visitorSessionResponse{Visitor: visitorRef{ID: v.ID},
		Token: issued.AccessToken, ExpiresIn: seconds(ttl)})
	return nil
}

// handleVisitorPreflight answers a CORS preflight for visitor sessions. The
// widget names its key in the query (?publishable_key=pk_…) so the origin
// can be checked; only an allowed origin asking for POST gets CORS headers.
func (a *API) handleVisitorPreflight(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Values("Origin")
	key := r.URL.Query().Get("publishable_key")
	if len(origin) == 1 && key != "" && len(key) <= maxKeyLen &&
		r.Header.Get("Access-Control-Request-Method") == http.MethodPost {
		wg, err := a.openWidgetByKey(r.Context(), key)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("look up widget: %w", err)
		}
		if err == nil && originAllowed(origin[0], wg.AllowedOrigins) {
			h.Set("Access-Control-Allow-Origin", origin[0])
			h.Set("Access-Control-Allow-Methods", "POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
