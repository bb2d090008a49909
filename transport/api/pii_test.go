package api

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/transport/httpx"
)

// TestPIINeverLoggedOrAudited drives every endpoint that touches visitor
// PII, including a decryption failure, with debug logging on, then looks
// for the canaries in the logs and the audit trail.
func TestPIINeverLoggedOrAudited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, ownerTok := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	vs := e.startVisitor(w)
	id := vs.Visitor.ID
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey,
		"name": canaryName + " Again"}, bearer(vs.Token)).expect(t, 201, "")
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey,
		"email": "not-an-email " + canaryEmail}).expect(t, 400, httpx.CodeValidationFailed)
	e.do("GET", "/rest/v1/visitors/"+id, nil, bearer(ownerTok)).expect(t, 200, "")
	e.findByEmail(ownerTok, canaryEmail)
	e.do("GET", "/rest/v1/visitors?email="+url.QueryEscape(canaryName+" <"+canaryEmail+">"), nil, bearer(ownerTok)).
		expect(t, 400, httpx.CodeValidationFailed)
	e.do("GET", "/rest/v1/visitors/"+id+"/export", nil, bearer(ownerTok)).expect(t, 200, "")

	// A sealed email copied from another record fails to open: a logged
	// internal error that names no value.
	v2 := e.seedVisitorPII(w, "Other Canaryname", "other.canary@example.org", canaryPhone)
	raw1, err := e.raw.GetVisitor(ctx, owner.OrgID, id)
	if err != nil {
		t.Fatal(err)
	}
	raw2, err := e.raw.GetVisitor(ctx, owner.OrgID, v2.ID)
	if err != nil {
		t.Fatal(err)
	}
	swapped := raw1
	swapped.Email = raw2.Email
	if err := e.raw.UpdateVisitor(ctx, swapped); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/rest/v1/visitors/"+id, nil, bearer(ownerTok)).expect(t, 500, httpx.CodeInternal)
	if !strings.Contains(e.logs.String(), "request failed") {
		t.Fatal("decryption failure not logged")
	}
	e.do("GET", "/rest/v1/visitors/"+id+"/export", nil, bearer(ownerTok)).expect(t, 500, httpx.CodeInternal)
	if err := e.raw.UpdateVisitor(ctx, raw1); err != nil {
		t.Fatal(err)
	}
	e.do("DELETE", "/rest/v1/visitors/"+id, nil, bearer(ownerTok)).expect(t, 204, "")

	canaries := []string{"Canaryname", "canary@", "Canary@", "7700 900123", "+44"}
	events, err := e.store.ListAudit(ctx, owner.OrgID, 1000)
	if err != nil || len(events) != 2 { // visitor.exported, visitor.erased
		t.Fatalf("audit %d events, %v", len(events), err)
	}
	logs := e.logs.String()
	for _, c := range canaries {
		if strings.Contains(logs, c) {
			t.Fatalf("logs contain %q:\n%s", c, logs)
		}
		if strings.Contains(string(r.body), c) {
			t.Fatalf("error body contains %q: %s", c, r.body)
		}
		for _, ev := range events {
			if strings.Contains(fmt.Sprintf("%+v", ev), c) {
				t.Fatalf("audit event holds %q: %+v", c, ev)
			}
		}
	}
}
