package api

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// PATCH /visitors/{id} sets, keeps and clears fields, answers the GET
// view, seals what it stores, moves the blind email index and audits the
// field names only.
func TestUpdateVisitor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, _ := e.seedOrg("Acme")
	agent, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	v := e.seedVisitorPII(e.seedWidget(owner.OrgID), "Old Name", "old.address@example.org", "+1 555 0100")
	path := "/rest/v1/visitors/" + v.ID

	var got, view visitorJSON
	e.do("PATCH", path, map[string]any{"name": "  " + canaryName + " ", "email": " Zelda.Canary@Example.ORG"},
		bearer(agentTok)).expect(t, 200, "").json(t, &got)
	e.do("GET", path, nil, bearer(agentTok)).expect(t, 200, "").json(t, &view)
	if got != view || got.Name != canaryName || got.Email != canaryEmail || got.Phone != "+1 555 0100" || got.Deleted {
		t.Fatalf("patched %+v, GET %+v", got, view)
	}
	raw, err := e.raw.GetVisitor(ctx, owner.OrgID, v.ID)
	if err != nil || strings.Contains(strings.ToLower(raw.Name+raw.Email), "canary") ||
		!bytes.Equal(raw.EmailIndex, e.cipher.BlindIndex(owner.OrgID, canaryEmail)) {
		t.Fatalf("raw row %+v %v: want sealed fields and the new address's blind index", raw, err)
	}
	if l := e.findByEmail(agentTok, canaryEmail); len(l.Visitors) != 1 || l.Visitors[0].ID != v.ID {
		t.Fatalf("new address finds %+v", l)
	}
	if l := e.findByEmail(agentTok, "old.address@example.org"); len(l.Visitors) != 0 {
		t.Fatalf("old address still finds %+v", l)
	}

	// null and "" clear; absent fields stay.
	e.do("PATCH", path, `{"email":null,"phone":""}`, bearer(agentTok)).expect(t, 200, "").json(t, &got)
	if got.Name != canaryName || got.Email != "" || got.Phone != "" {
		t.Fatalf("after clearing %+v", got)
	}
	if raw, _ = e.raw.GetVisitor(ctx, owner.OrgID, v.ID); raw.EmailIndex != nil {
		t.Fatalf("cleared email keeps an index %x", raw.EmailIndex)
	}
	e.do("PATCH", path, `{}`, bearer(agentTok)).expect(t, 200, "").json(t, &got)
	if got.Name != canaryName {
		t.Fatalf("empty patch changed %+v", got)
	}

	events := e.actions(owner.OrgID, "visitor.updated")
	if len(events) != 2 || events[0].ActorID != agent.ID || events[0].TargetID != v.ID {
		t.Fatalf("audit %+v", events)
	}
	for _, ev := range events {
		if strings.Contains(strings.ToLower(ev.Detail), "canary") || strings.Contains(ev.Detail, "@") ||
			strings.Contains(ev.Detail, "555") || strings.Contains(ev.Detail, "Old") {
			t.Fatalf("audit detail holds PII: %q", ev.Detail)
		}
	}
	if !slicesHas(events, "fields name,email") || !slicesHas(events, "fields email,phone") {
		t.Fatalf("audit details %+v", events)
	}
	if strings.Contains(strings.ToLower(e.logs.String()), "canary") {
		t.Fatal("PII in the logs")
	}
}

func slicesHas(events []storage.AuditEvent, detail string) bool {
	for _, ev := range events {
		if ev.Detail == detail {
			return true
		}
	}
	return false
}

// Bad bodies, other tenants, visitors and erased visitors.
func TestUpdateVisitorRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	v, visitorTok := e.seedVisitor(w)
	path := "/rest/v1/visitors/" + v.ID
	for name, body := range map[string]string{
		"unknown field":   `{"name":"A","role":"owner"}`,
		"wrong type":      `{"name":42}`,
		"object":          `{"email":{"a":1}}`,
		"bool":            `{"phone":true}`,
		"bad email":       `{"email":"not an address"}`,
		"display name":    `{"email":"Zelda <z@example.org>"}`,
		"long email":      `{"email":"` + strings.Repeat("a", 250) + `@example.org"}`,
		"bad phone":       `{"phone":"call me"}`,
		"long phone":      `{"phone":"` + strings.Repeat("1", 33) + `"}`,
		"long name":       `{"name":"` + strings.Repeat("n", 101) + `"}`,
		"control in name": `{"name":"a\u0007b"}`,
		"two values":      `{"name":"a"}{"name":"b"}`,
		"not json":        `name=a`,
		"array":           `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			e.with(t).do("PATCH", path, body, bearer(ownerTok)).expect(t, 400, httpx.CodeValidationFailed)
		})
	}
	e.do("PATCH", path, `{"name":"`+strings.Repeat("n", 70<<10)+`"}`, bearer(ownerTok)).
		expect(t, 413, httpx.CodePayloadTooLarge)
	e.do("PATCH", path, map[string]any{"name": "A"}, bearer(visitorTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("PATCH", path, map[string]any{"name": "A"}).expect(t, 401, httpx.CodeUnauthorized)
	_, otherTok := e.seedOrg("Other")
	e.do("PATCH", path, map[string]any{"name": "A"}, bearer(otherTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("PATCH", "/rest/v1/visitors/vis_missing", map[string]any{"name": "A"}, bearer(ownerTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("PATCH", "/rest/v1/visitors/BAD!", map[string]any{"name": "A"}, bearer(ownerTok)).expect(t, 404, httpx.CodeNotFound)
	// Erasure is final: the erased visitor cannot be given PII again.
	e.do("DELETE", path, nil, bearer(ownerTok)).expect(t, 204, "")
	e.do("PATCH", path, map[string]any{"name": "Back again"}, bearer(ownerTok)).expect(t, 404, httpx.CodeNotFound)
	if got, err := e.store.GetVisitor(context.Background(), owner.OrgID, v.ID); err != nil || got.Name != "" {
		t.Fatalf("erased visitor now %+v %v", got, err)
	}
	if n := len(e.actions(owner.OrgID, "visitor.updated")); n != 0 {
		t.Fatalf("%d visitor.updated events for refused requests", n)
	}
}
