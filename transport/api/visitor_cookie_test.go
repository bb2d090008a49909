package api

import (
	"net/http"
	"testing"

	"github.com/helpr-chat/helpr/transport/httpx"
)

// visitorCookieOf returns the visitor cookie a response set, or nil.
func visitorCookieOf(r resp) *http.Cookie {
	for _, c := range r.resp.Cookies() {
		if c.Name == VisitorCookie {
			return c
		}
	}
	return nil
}

// The widget iframe (the hub's own origin) starts a session: the response
// sets the visitor cookie with every required attribute, and a second start
// carrying only that cookie resumes the same visitor.
func TestVisitorCookieSetAndResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID, "https://shop.example.com")
	body := map[string]any{"publishable_key": w.PublishableKey, "name": "Vera"}

	r := e.do("POST", "/rest/v1/visitor/sessions", body, origin(publicOrigin)).expect(t, 201, "")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS header for the hub's own origin")
	}
	var first visitorSession
	r.json(t, &first)
	c := visitorCookieOf(r)
	if c == nil {
		t.Fatalf("no %s cookie in %v", VisitorCookie, r.header.Values("Set-Cookie"))
	}
	if c.Value != first.Token || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteNoneMode ||
		!c.Partitioned || c.Path != "/" || c.Domain != "" || c.MaxAge != 24*3600 {
		t.Fatalf("cookie %+v", c)
	}

	var again visitorSession
	r = e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey},
		origin(publicOrigin), cookie(VisitorCookie, first.Token)).expect(t, 201, "")
	r.json(t, &again)
	if again.Visitor.ID != first.Visitor.ID || again.Token == first.Token {
		t.Fatalf("resume by cookie: first %+v, again %+v", first, again)
	}
	if c := visitorCookieOf(r); c == nil || c.Value != again.Token {
		t.Fatal("resume did not set the new token's cookie")
	}
	// A bad cookie starts a new visitor.
	var fresh visitorSession
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey},
		origin(publicOrigin), cookie(VisitorCookie, "hlv_bogus")).expect(t, 201, "").json(t, &fresh)
	if fresh.Visitor.ID == first.Visitor.ID {
		t.Fatal("a bad cookie resumed a visitor")
	}
}

// The visitor cookie authenticates REST reads from the iframe; unsafe
// methods need the hub's own Origin (CSRF), and logout clears the cookie.
func TestVisitorCookieAuthenticates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID, "https://shop.example.com")
	v, tok := e.seedVisitor(w)

	var me struct{ Kind, ID string }
	e.do("GET", "/rest/v1/me", nil, cookie(VisitorCookie, tok)).expect(t, 200, "").json(t, &me)
	if me.Kind != "visitor" || me.ID != v.ID {
		t.Fatalf("me %+v", me)
	}
	e.do("GET", "/rest/v1/conversations", nil, cookie(VisitorCookie, tok)).expect(t, 200, "")
	e.do("POST", "/rest/v1/auth/logout", nil, cookie(VisitorCookie, tok), origin("https://shop.example.com")).
		expect(t, 403, httpx.CodeForbidden)
	r := e.do("POST", "/rest/v1/auth/logout", nil, cookie(VisitorCookie, tok), origin(publicOrigin)).expect(t, 204, "")
	if c := visitorCookieOf(r); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Fatalf("logout cookie %+v", c)
	}
	e.do("GET", "/rest/v1/me", nil, cookie(VisitorCookie, tok)).expect(t, 401, httpx.CodeUnauthorized)
}

// The probe names the cookie's visitor, and answers 200 with null for no,
// a bad, an agent's or an erased visitor's token.
func TestVisitorProbe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID, "https://shop.example.com")
	v, tok := e.seedVisitor(w)
	probe := func(opts ...reqOpt) string {
		t.Helper()
		var out struct {
			Visitor *struct{ ID string } `json:"visitor"`
		}
		e.do("GET", "/rest/v1/visitor/session", nil, opts...).expect(t, 200, "").json(t, &out)
		if out.Visitor == nil {
			return ""
		}
		return out.Visitor.ID
	}
	if got := probe(cookie(VisitorCookie, tok)); got != v.ID {
		t.Fatalf("probe by cookie = %q, want %q", got, v.ID)
	}
	if got := probe(bearer(tok)); got != v.ID {
		t.Fatalf("probe by bearer = %q, want %q", got, v.ID)
	}
	for name, opt := range map[string]reqOpt{"none": header("X-None", "1"), "bad": cookie(VisitorCookie, "hlv_bogus"),
		"agent": bearer(ownerTok)} {
		if got := probe(opt); got != "" {
			t.Errorf("probe with %s token = %q, want null", name, got)
		}
	}
	e.do("DELETE", "/rest/v1/visitors/"+v.ID, nil, bearer(ownerTok)).expect(t, 204, "")
	if got := probe(cookie(VisitorCookie, tok)); got != "" {
		t.Fatalf("probe of an erased visitor = %q", got)
	}
}
