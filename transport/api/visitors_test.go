package api

import (
	"context"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/transport/httpx"
)

type visitorSession struct {
	Visitor   struct{ ID string } `json:"visitor"`
	Token     string              `json:"token"`
	ExpiresIn int64               `json:"expires_in"`
}

func TestVisitorSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID, "https://shop.example.com")

	// A server-side client sends no Origin.
	var vs visitorSession
	r := e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey}).expect(t, 201, "")
	r.json(t, &vs)
	if vs.Visitor.ID == "" || !strings.HasPrefix(vs.Token, "hlv_") || vs.ExpiresIn != 24*3600 {
		t.Fatalf("visitor session %+v", vs)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS header without Origin")
	}
	var me struct{ Kind, ID, OrgID, WidgetID string }
	e.do("GET", "/rest/v1/me", nil, bearer(vs.Token)).expect(t, 200, "").json(t, &me)
	if me.Kind != "visitor" || me.ID != vs.Visitor.ID {
		t.Fatalf("me %+v", me)
	}
	var meIDs struct {
		OrgID    string `json:"org_id"`
		WidgetID string `json:"widget_id"`
	}
	e.do("GET", "/rest/v1/me", nil, bearer(vs.Token)).json(t, &meIDs)
	if meIDs.OrgID != owner.OrgID || meIDs.WidgetID != w.ID {
		t.Fatalf("me ids %+v", meIDs)
	}
	// A visitor token manages nothing.
	e.do("POST", "/rest/v1/widgets", map[string]any{"name": "x", "allowed_origins": []string{}}, bearer(vs.Token)).
		expect(t, 403, httpx.CodeForbidden)
}

func TestVisitorSessionOrigin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID, "https://shop.example.com")
	body := map[string]any{"publishable_key": w.PublishableKey}

	r := e.do("POST", "/rest/v1/visitor/sessions", body, origin("https://shop.example.com")).expect(t, 201, "")
	if r.header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
		t.Fatalf("ACAO %q", r.header.Get("Access-Control-Allow-Origin"))
	}
	for _, o := range []string{"https://evil.example", "https://shop.example.com:8443", "http://shop.example.com", "null", "https://shop.example.com/"} {
		r := e.do("POST", "/rest/v1/visitor/sessions", body, origin(o)).expect(t, 403, httpx.CodeForbidden)
		if r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("ACAO for %s", o)
		}
	}
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": "pk_unknown"}).expect(t, 404, httpx.CodeNotFound)
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": "sk_live"}).expect(t, 400, httpx.CodeValidationFailed)
	e.do("POST", "/rest/v1/visitor/sessions?publishable_key=pk_other", body).expect(t, 400, httpx.CodeValidationFailed)
	e.do("POST", "/rest/v1/visitor/sessions?publishable_key="+w.PublishableKey, body).expect(t, 201, "")
}

func TestVisitorPreflight(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID, "https://shop.example.com")
	preflight := func(path, o string) resp {
		return e.do("OPTIONS", path, nil, origin(o), header("Access-Control-Request-Method", "POST"),
			header("Access-Control-Request-Headers", "content-type,authorization")).expect(t, 204, "")
	}
	r := preflight("/rest/v1/visitor/sessions?publishable_key="+w.PublishableKey, "https://shop.example.com")
	if r.header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(strings.ToLower(r.header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Fatalf("preflight headers %v", r.header)
	}
	for _, tc := range []struct{ path, origin string }{
		{"/rest/v1/visitor/sessions?publishable_key=" + w.PublishableKey, "https://evil.example"},
		{"/rest/v1/visitor/sessions?publishable_key=pk_unknown", "https://shop.example.com"},
		{"/rest/v1/visitor/sessions", "https://shop.example.com"},
	} {
		if got := preflight(tc.path, tc.origin).header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("%s from %s: ACAO %q", tc.path, tc.origin, got)
		}
	}
}

func TestVisitorSessionResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, ownerTok := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	w2 := e.seedWidget(owner.OrgID)

	var first, second, third, fourth visitorSession
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey, "name": "Vera"}).
		expect(t, 201, "").json(t, &first)
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey,
		"email": "Vera@Example.com", "phone": "+1 (555) 010-0000"}, bearer(first.Token)).expect(t, 201, "").json(t, &second)
	if second.Visitor.ID != first.Visitor.ID || second.Token == first.Token {
		t.Fatalf("resume: %+v then %+v", first, second)
	}
	v, err := e.store.GetVisitor(ctx, owner.OrgID, first.Visitor.ID)
	if err != nil || v.Name != "Vera" || v.Email != "vera@example.com" || v.Phone != "+1 (555) 010-0000" {
		t.Fatalf("stored visitor %+v %v", v, err)
	}
	// A token of another widget, an agent token or a bad token start a new visitor.
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w2.PublishableKey}, bearer(first.Token)).
		expect(t, 201, "").json(t, &third)
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey}, bearer(ownerTok)).
		expect(t, 201, "").json(t, &fourth)
	if third.Visitor.ID == first.Visitor.ID || fourth.Visitor.ID == first.Visitor.ID {
		t.Fatal("resumed across widgets or from an agent token")
	}
	var fifth visitorSession
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey}, bearer("hlv_garbage")).
		expect(t, 201, "").json(t, &fifth)
	if fifth.Visitor.ID == first.Visitor.ID {
		t.Fatal("resumed from a bad token")
	}
	// A visitor of another organisation cannot resume into this widget.
	other, _ := e.seedOrg("Other")
	ow := e.seedWidget(other.OrgID)
	var sixth visitorSession
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": ow.PublishableKey}, bearer(first.Token)).
		expect(t, 201, "").json(t, &sixth)
	if sixth.Visitor.ID == first.Visitor.ID {
		t.Fatal("resumed across organisations")
	}
}

func TestVisitorSessionValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	for _, body := range []map[string]any{
		{"publishable_key": w.PublishableKey, "email": "nope"},
		{"publishable_key": w.PublishableKey, "phone": "call me"},
		{"publishable_key": w.PublishableKey, "name": strings.Repeat("n", 101)},
		{"publishable_key": w.PublishableKey, "extra": true},
		{},
	} {
		e.do("POST", "/rest/v1/visitor/sessions", body).expect(t, 400, httpx.CodeValidationFailed)
	}
}
