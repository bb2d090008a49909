package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

func TestWebhookTestAndDeliveryLogPages(t *testing.T) {
	t.Parallel()
	e, _ := newHookEnv(t)
	_, tok := e.seedOrg("Acme")
	hook := e.createHook(tok, publicHookURL, EventMessageCreated)
	var ids []string
	for range 3 {
		var d deliveryOut
		e.do("POST", "/rest/v1/webhooks/"+hook.ID+"/test", nil, bearer(tok)).expect(t, 202, "").json(t, &d)
		if !strings.HasPrefix(d.ID, "whd_") || d.Event != "webhook.test" || d.Status != "pending" ||
			d.EndpointID != hook.ID || d.Attempts != 0 || d.NextAttemptAt == nil {
			t.Fatalf("test delivery %+v", d)
		}
		ids = append(ids, d.ID)
		e.clock.Advance(time.Second)
	}
	var page deliveriesOut
	e.do("GET", "/rest/v1/webhooks/"+hook.ID+"/deliveries?limit=2", nil, bearer(tok)).expect(t, 200, "").json(t, &page)
	if len(page.Deliveries) != 2 || page.Deliveries[0].ID != ids[2] || page.Deliveries[1].ID != ids[1] || page.NextCursor == nil {
		t.Fatalf("first page %+v", page)
	}
	cur := *page.NextCursor
	e.do("GET", "/rest/v1/webhooks/"+hook.ID+"/deliveries?limit=2&cursor="+cur, nil, bearer(tok)).expect(t, 200, "").json(t, &page)
	if len(page.Deliveries) != 1 || page.Deliveries[0].ID != ids[0] || page.NextCursor != nil {
		t.Fatalf("last page %+v", page)
	}
	for _, q := range []string{"limit=0", "limit=201", "limit=x", "cursor=%%%", "cursor=bm9wZQ", "limit=1&limit=2"} {
		e.do("GET", "/rest/v1/webhooks/"+hook.ID+"/deliveries?"+q, nil, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	var all deliveriesOut
	e.do("GET", "/rest/v1/webhooks/"+hook.ID+"/deliveries", nil, bearer(tok)).expect(t, 200, "").json(t, &all)
	if len(all.Deliveries) != 3 || all.NextCursor != nil {
		t.Errorf("default page %+v", all)
	}
}

func TestWebhookRedeliver(t *testing.T) {
	t.Parallel()
	e, _ := newHookEnv(t)
	_, tok := e.seedOrg("Acme")
	hook := e.createHook(tok, publicHookURL, EventMessageCreated)
	var first, again deliveryOut
	e.do("POST", "/rest/v1/webhooks/"+hook.ID+"/test", nil, bearer(tok)).expect(t, 202, "").json(t, &first)
	e.do("POST", "/rest/v1/webhooks/deliveries/"+first.ID+"/redeliver", nil, bearer(tok)).expect(t, 202, "").json(t, &again)
	if again.ID == first.ID || again.Event != "webhook.test" || again.Status != "pending" || again.EndpointID != hook.ID {
		t.Fatalf("redelivered %+v of %+v", again, first)
	}
	e.do("POST", "/rest/v1/webhooks/deliveries/whd_missing/redeliver", nil, bearer(tok)).expect(t, 404, httpx.CodeNotFound)
	e.do("POST", "/rest/v1/webhooks/deliveries/BAD!/redeliver", nil, bearer(tok)).expect(t, 404, httpx.CodeNotFound)
}

// An erased visitor's pending deliveries are stopped, lose their body and
// cannot be redelivered.
func TestWebhookErasureStopsDeliveries(t *testing.T) {
	t.Parallel()
	e, _ := newHookEnv(t)
	owner, tok := e.seedOrg("Acme")
	hook := e.createHook(tok, publicHookURL, EventVisitorCreated, EventVisitorErased)
	w := e.seedWidget(owner.OrgID)
	vs := e.startVisitor(w)
	var log deliveriesOut
	e.do("GET", "/rest/v1/webhooks/"+hook.ID+"/deliveries", nil, bearer(tok)).expect(t, 200, "").json(t, &log)
	if len(log.Deliveries) != 1 || log.Deliveries[0].Event != EventVisitorCreated {
		t.Fatalf("log after a new visitor %+v", log)
	}
	created := log.Deliveries[0].ID
	if d, _ := e.store.GetWebhookDelivery(context.Background(), owner.OrgID, created); !strings.Contains(d.Body, canaryName) {
		t.Fatalf("visitor.created body lacks the name before erasure")
	}
	e.clock.Advance(time.Second) // the log is newest first
	e.do("DELETE", "/rest/v1/visitors/"+vs.Visitor.ID, nil, bearer(tok)).expect(t, 204, "")
	d, err := e.store.GetWebhookDelivery(context.Background(), owner.OrgID, created)
	if err != nil || d.Status != storage.WebhookDead || d.Body != "" || strings.Contains(d.Body, canaryName) {
		t.Fatalf("visitor.created after erasure: status %s, body kept %v (%v)", d.Status, d.Body != "", err)
	}
	e.do("POST", "/rest/v1/webhooks/deliveries/"+created+"/redeliver", nil, bearer(tok)).expect(t, 409, httpx.CodeConflict)
	e.do("GET", "/rest/v1/webhooks/"+hook.ID+"/deliveries", nil, bearer(tok)).expect(t, 200, "").json(t, &log)
	if len(log.Deliveries) != 2 || log.Deliveries[0].Event != EventVisitorErased || log.Deliveries[0].Status != "pending" {
		t.Fatalf("log after erasure %+v", log)
	}
	erased, _ := e.store.GetWebhookDelivery(context.Background(), owner.OrgID, log.Deliveries[0].ID)
	for _, pii := range []string{canaryName, canaryEmail, canaryPhone} {
		if strings.Contains(erased.Body, pii) {
			t.Errorf("visitor.erased body holds %q", pii)
		}
	}
}

// Organisation B never sees, changes or uses organisation A's endpoints
// and deliveries: every route answers 404 as for a missing id.
func TestWebhookTenancy(t *testing.T) {
	t.Parallel()
	e, _ := newHookEnv(t)
	ownerA, tokA := e.seedOrg("Acme")
	_, tokB := e.seedOrg("Beta")
	hook := e.createHook(tokA, publicHookURL, EventMessageCreated)
	var d deliveryOut
	e.do("POST", "/rest/v1/webhooks/"+hook.ID+"/test", nil, bearer(tokA)).expect(t, 202, "").json(t, &d)
	var l struct{ Webhooks []hookOut }
	e.do("GET", "/rest/v1/webhooks", nil, bearer(tokB)).expect(t, 200, "").json(t, &l)
	if len(l.Webhooks) != 0 {
		t.Fatalf("org B lists %d endpoints", len(l.Webhooks))
	}
	attacks := []struct {
		method, path string
		body         any
	}{
		{"GET", "/webhooks/" + hook.ID, nil},
		{"PATCH", "/webhooks/" + hook.ID, map[string]any{"url": "https://93.184.216.36/evil"}},
		{"PATCH", "/webhooks/" + hook.ID, map[string]any{"enabled": false}},
		{"DELETE", "/webhooks/" + hook.ID, nil},
		{"POST", "/webhooks/" + hook.ID + "/rotate-secret", nil},
		{"GET", "/webhooks/" + hook.ID + "/deliveries", nil},
		{"POST", "/webhooks/" + hook.ID + "/test", nil},
		{"POST", "/webhooks/deliveries/" + d.ID + "/redeliver", nil},
	}
	for _, a := range attacks {
		r := e.do(a.method, "/rest/v1"+a.path, a.body, bearer(tokB)).expect(t, 404, httpx.CodeNotFound)
		if strings.Contains(string(r.body), hook.ID) || strings.Contains(string(r.body), "93.184") {
			t.Errorf("%s %s answers with A's data: %s", a.method, a.path, r.body)
		}
	}
	ep, err := e.store.GetWebhookEndpoint(context.Background(), ownerA.OrgID, hook.ID)
	if err != nil || ep.URL != publicHookURL || !ep.Enabled || ep.Secret != hook.Secret || ep.PreviousSecret != "" {
		t.Fatalf("A's endpoint changed by B: %+v (%v)", ep.URL, err)
	}
	var log deliveriesOut
	e.do("GET", "/rest/v1/webhooks/"+hook.ID+"/deliveries", nil, bearer(tokA)).expect(t, 200, "").json(t, &log)
	if len(log.Deliveries) != 1 {
		t.Errorf("B's test or redeliver added deliveries to A's log: %+v", log)
	}
	for _, action := range []string{"webhook.updated", "webhook.deleted", "webhook.secret_rotated", "webhook.disabled"} {
		if n := countAudit(t, e, ownerA, action); n != 0 {
			t.Errorf("%s audited %d times in A", action, n)
		}
	}
}
