package api

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Canary PII: none of it may appear in the raw store, the logs or the audit trail.
const (
	canaryName  = "Zelda Canaryname"
	canaryEmail = "zelda.canary@example.org"
	canaryPhone = "+44 7700 900123"
)

// seedVisitorPII stores a visitor with PII through the sealed store.
func (e *env) seedVisitorPII(w storage.Widget, name, email, phone string) storage.Visitor {
	e.t.Helper()
	now := e.clock.Now().Truncate(time.Millisecond)
	v := storage.Visitor{ID: storage.NewID("vis"), OrgID: w.OrgID, WidgetID: w.ID, Name: name,
		Email: email, Phone: phone, CreatedAt: now, LastSeenAt: now}
	if err := e.store.CreateVisitor(context.Background(), v); err != nil {
		e.t.Fatalf("seed visitor: %v", err)
	}
	return v
}

// startVisitor starts a visitor session over HTTP with the canary PII.
func (e *env) startVisitor(w storage.Widget) visitorSession {
	e.t.Helper()
	var vs visitorSession
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey,
		"name": canaryName, "email": "  Zelda.Canary@Example.ORG ", "phone": canaryPhone}).
		expect(e.t, 201, "").json(e.t, &vs)
	return vs
}

type visitorJSON struct {
	ID         string    `json:"id"`
	WidgetID   string    `json:"widget_id"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	Phone      string    `json:"phone"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	Deleted    bool      `json:"deleted"`
}

func TestVisitorSessionStoresPIISealed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	vs := e.startVisitor(w)

	raw, err := e.raw.GetVisitor(ctx, owner.OrgID, vs.Visitor.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{raw.Name, raw.Email, raw.Phone} {
		if field == "" || strings.Contains(field, "Canary") || strings.Contains(strings.ToLower(field), "canary") ||
			strings.Contains(field, "7700") {
			t.Fatalf("raw store holds plaintext or nothing: %+v", raw)
		}
	}
	if !bytes.Equal(raw.EmailIndex, e.cipher.BlindIndex(owner.OrgID, canaryEmail)) {
		t.Fatalf("email index %x, want the blind index of the normalised email", raw.EmailIndex)
	}
	got, err := e.store.GetVisitor(ctx, owner.OrgID, vs.Visitor.ID)
	if err != nil || got.Name != canaryName || got.Email != canaryEmail || got.Phone != canaryPhone {
		t.Fatalf("sealed read %+v %v", got, err)
	}
	// Resuming updates the sealed fields and keeps them readable.
	var again visitorSession
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey,
		"name": "Zelda Renamed"}, bearer(vs.Token)).expect(t, 201, "").json(t, &again)
	got, err = e.store.GetVisitor(ctx, owner.OrgID, vs.Visitor.ID)
	if again.Visitor.ID != vs.Visitor.ID || err != nil || got.Name != "Zelda Renamed" || got.Email != canaryEmail {
		t.Fatalf("resumed %+v: %+v %v", again, got, err)
	}
}

func TestGetVisitor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	w := e.seedWidget(owner.OrgID)
	vs := e.startVisitor(w)
	path := "/rest/v1/visitors/" + vs.Visitor.ID

	for _, tok := range []string{ownerTok, agentTok} {
		var got visitorJSON
		e.do("GET", path, nil, bearer(tok)).expect(t, 200, "").json(t, &got)
		want := visitorJSON{ID: vs.Visitor.ID, WidgetID: w.ID, Name: canaryName, Email: canaryEmail,
			Phone: canaryPhone}
		if !got.CreatedAt.Equal(e.clock.Now()) || !got.LastSeenAt.Equal(e.clock.Now()) {
			t.Fatalf("times %v %v, want %v", got.CreatedAt, got.LastSeenAt, e.clock.Now())
		}
		got.CreatedAt, got.LastSeenAt = time.Time{}, time.Time{}
		if got != want {
			t.Fatalf("visitor\n got %+v\nwant %+v", got, want)
		}
	}
	// Visitors (even this one), other tenants, unknown and malformed ids.
	e.do("GET", path, nil, bearer(vs.Token)).expect(t, 403, httpx.CodeForbidden)
	e.do("GET", path, nil).expect(t, 401, httpx.CodeUnauthorized)
	_, otherTok := e.seedOrg("Other")
	e.do("GET", path, nil, bearer(otherTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("GET", "/rest/v1/visitors/vis_missing", nil, bearer(agentTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("GET", "/rest/v1/visitors/BAD!", nil, bearer(agentTok)).expect(t, 404, httpx.CodeNotFound)
}

type visitorList struct {
	Visitors []visitorJSON `json:"visitors"`
}

func (e *env) findByEmail(tok, email string) visitorList {
	e.t.Helper()
	var out visitorList
	e.do("GET", "/rest/v1/visitors?email="+url.QueryEscape(email), nil, bearer(tok)).expect(e.t, 200, "").json(e.t, &out)
	if out.Visitors == nil {
		e.t.Fatal(`"visitors" is not a list`)
	}
	return out
}

func TestFindVisitorsByEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	w := e.seedWidget(owner.OrgID)
	vs := e.startVisitor(w)
	e.seedVisitorPII(w, "Someone Else", "someone.else@example.org", "")
	// Another tenant's visitor with the same email is never found.
	other, otherTok := e.seedOrg("Other")
	ov := e.seedVisitorPII(e.seedWidget(other.OrgID), "Twin", canaryEmail, "")

	for _, q := range []string{canaryEmail, "ZELDA.Canary@example.org", " zelda.canary@example.org "} {
		got := e.findByEmail(agentTok, q)
		if len(got.Visitors) != 1 || got.Visitors[0].ID != vs.Visitor.ID || got.Visitors[0].Name != canaryName ||
			got.Visitors[0].Email != canaryEmail || got.Visitors[0].Deleted {
			t.Fatalf("find %q: %+v", q, got)
		}
	}
	if got := e.findByEmail(otherTok, canaryEmail); len(got.Visitors) != 1 || got.Visitors[0].ID != ov.ID {
		t.Fatalf("other tenant finds %+v", got)
	}
	if got := e.findByEmail(agentTok, "nobody@example.org"); len(got.Visitors) != 0 {
		t.Fatalf("no match returned %+v", got)
	}
	// Without email (or with an empty one) GET /visitors lists instead
	// (visitors_list_test.go).
	for _, q := range []string{"?email=nope", "?email=Zelda%20%3Czelda@example.org%3E",
		"?email=" + strings.Repeat("a", 250) + "@example.org", "?email=a@example.org&email=b@example.org"} {
		e.do("GET", "/rest/v1/visitors"+q, nil, bearer(agentTok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	e.do("GET", "/rest/v1/visitors?email="+canaryEmail, nil, bearer(vs.Token)).expect(t, 403, httpx.CodeForbidden)
}

func TestFindVisitorsGoesThroughTheBlindIndex(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, tok := e.seedOrg("Acme")
	v := e.seedVisitorPII(e.seedWidget(owner.OrgID), canaryName, canaryEmail, canaryPhone)
	raw, err := e.raw.GetVisitor(ctx, owner.OrgID, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	// With the sealed email intact but the index changed, the lookup misses:
	// it matches the index, never the (decrypted) email.
	changed := raw
	changed.EmailIndex = e.cipher.BlindIndex(owner.OrgID, "someone.else@example.org")
	if err := e.raw.UpdateVisitor(ctx, changed); err != nil {
		t.Fatal(err)
	}
	if got := e.findByEmail(tok, canaryEmail); len(got.Visitors) != 0 {
		t.Fatalf("found without a matching index: %+v", got)
	}
	// The row the moved index points at holds another email: the sealed
	// store refuses it rather than answer with the wrong person.
	e.do("GET", "/rest/v1/visitors?email=someone.else@example.org", nil, bearer(tok)).
		expect(t, 500, httpx.CodeInternal)
	if err := e.raw.UpdateVisitor(ctx, raw); err != nil {
		t.Fatal(err)
	}
	if got := e.findByEmail(tok, canaryEmail); len(got.Visitors) != 1 || got.Visitors[0].ID != v.ID {
		t.Fatalf("restored index: %+v", got)
	}
}
