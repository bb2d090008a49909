package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

func TestWebhookCreateShowsTheSecretOnce(t *testing.T) {
	t.Parallel()
	e, h := newHookEnv(t)
	owner, tok := e.seedOrg("Acme")
	res := e.do("POST", "/rest/v1/webhooks", map[string]any{"url": publicHookURL,
		"events": []string{EventMessageCreated, EventConversationCreated}, "description": " CRM sync "},
		bearer(tok)).expect(t, 201, "")
	if res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("create answer Cache-Control %q, want no-store", res.header.Get("Cache-Control"))
	}
	var out hookOut
	res.json(t, &out)
	if !strings.HasPrefix(out.ID, "whk_") || out.URL != publicHookURL || !out.Enabled || out.DisabledReason != nil ||
		out.Description != "CRM sync" || len(out.Events) != 2 || !strings.HasPrefix(out.Secret, "whsec_") {
		t.Fatalf("created %+v", out)
	}
	list := e.do("GET", "/rest/v1/webhooks", nil, bearer(tok)).expect(t, 200, "")
	one := e.do("GET", "/rest/v1/webhooks/"+out.ID, nil, bearer(tok)).expect(t, 200, "")
	for _, r := range []resp{list, one} {
		if strings.Contains(string(r.body), out.Secret) || strings.Contains(string(r.body), "whsec_") ||
			strings.Contains(string(r.body), `"secret"`) {
			t.Errorf("the secret is shown again: %s", r.body)
		}
	}
	var l struct{ Webhooks []hookOut }
	list.json(t, &l)
	if len(l.Webhooks) != 1 || l.Webhooks[0].ID != out.ID || l.Webhooks[0].ConsecutiveFailures != 0 {
		t.Errorf("list %s", list.body)
	}
	raw, err := e.raw.GetWebhookEndpoint(context.Background(), owner.OrgID, out.ID)
	if err != nil || strings.Contains(raw.Secret, out.Secret) || raw.Secret == "" {
		t.Errorf("backend holds the secret unsealed (%v)", err)
	}
	if n := countAudit(t, e, owner, "webhook.created"); n != 1 {
		t.Errorf("webhook.created audited %d times", n)
	}
	audit, _ := e.store.ListAudit(context.Background(), owner.OrgID, 10)
	for _, ev := range audit {
		if strings.Contains(ev.Detail, "token=abc") || strings.Contains(ev.Detail, "whsec_") || strings.Contains(ev.Detail, "/hooks") {
			t.Errorf("audit detail %q holds the URL or the secret", ev.Detail)
		}
	}
	if h.invalidations.Load() != 1 {
		t.Errorf("Invalidate called %d times, want 1", h.invalidations.Load())
	}
}

func TestWebhookCreateValidation(t *testing.T) {
	t.Parallel()
	e, _ := newHookEnv(t)
	_, tok := e.seedOrg("Acme")
	ev := []string{EventMessageCreated}
	long := "https://93.184.216.34/" + strings.Repeat("a", 2048)
	cases := []struct {
		name string
		body any
		code string
	}{
		{"ftp scheme", map[string]any{"url": "ftp://93.184.216.34/x", "events": ev}, httpx.CodeValidationFailed},
		{"javascript", map[string]any{"url": "javascript:alert(1)", "events": ev}, httpx.CodeValidationFailed},
		{"userinfo", map[string]any{"url": "https://user:pw@93.184.216.34/x", "events": ev}, httpx.CodeValidationFailed},
		{"too long", map[string]any{"url": long, "events": ev}, httpx.CodeValidationFailed},
		{"no host", map[string]any{"url": "https:///x", "events": ev}, httpx.CodeValidationFailed},
		{"relative", map[string]any{"url": "/x", "events": ev}, httpx.CodeValidationFailed},
		{"spaces", map[string]any{"url": " https://93.184.216.34/x", "events": ev}, httpx.CodeValidationFailed},
		{"no url", map[string]any{"events": ev}, httpx.CodeValidationFailed},
		{"no events", map[string]any{"url": publicHookURL}, httpx.CodeValidationFailed},
		{"empty events", map[string]any{"url": publicHookURL, "events": []string{}}, httpx.CodeValidationFailed},
		{"unknown event", map[string]any{"url": publicHookURL, "events": []string{"message.deleted"}}, httpx.CodeValidationFailed},
		{"test event", map[string]any{"url": publicHookURL, "events": []string{"webhook.test"}}, httpx.CodeValidationFailed},
		{"dup events", map[string]any{"url": publicHookURL, "events": []string{EventMessageCreated, EventMessageCreated}}, httpx.CodeValidationFailed},
		{"unknown field", map[string]any{"url": publicHookURL, "events": ev, "secret": "whsec_mine"}, httpx.CodeValidationFailed},
		{"long description", map[string]any{"url": publicHookURL, "events": ev, "description": strings.Repeat("d", 201)}, httpx.CodeValidationFailed},
		{"loopback", map[string]any{"url": "http://127.0.0.1:9/x", "events": ev}, codeWebhookURLRefused},
		{"localhost", map[string]any{"url": "http://localhost:9/x", "events": ev}, codeWebhookURLRefused},
		{"private", map[string]any{"url": "https://10.1.2.3/x", "events": ev}, codeWebhookURLRefused},
		{"metadata", map[string]any{"url": "http://169.254.169.254/latest/meta-data", "events": ev}, codeWebhookURLRefused},
		{"ipv6 loopback", map[string]any{"url": "http://[::1]/x", "events": ev}, codeWebhookURLRefused},
		{"mapped loopback", map[string]any{"url": "http://[::ffff:127.0.0.1]/x", "events": ev}, codeWebhookURLRefused},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.with(t).do("POST", "/rest/v1/webhooks", c.body, bearer(tok)).expect(t, 400, c.code)
		})
	}
	var l struct{ Webhooks []hookOut }
	e.do("GET", "/rest/v1/webhooks", nil, bearer(tok)).expect(t, 200, "").json(t, &l)
	if len(l.Webhooks) != 0 {
		t.Errorf("refused creations stored %d endpoints", len(l.Webhooks))
	}
}

func TestWebhookAllowHostsAdmitsLoopback(t *testing.T) {
	t.Parallel()
	e, _ := newHookEnv(t, "127.0.0.1")
	_, tok := e.seedOrg("Acme")
	e.createHook(tok, "http://127.0.0.1:9/x", EventMessageCreated)
	e.do("POST", "/rest/v1/webhooks", map[string]any{"url": "http://10.0.0.1/x", "events": []string{EventMessageCreated}},
		bearer(tok)).expect(t, 400, codeWebhookURLRefused)
}

func TestWebhookRoutesNeedAManager(t *testing.T) {
	t.Parallel()
	e, _ := newHookEnv(t)
	owner, tok := e.seedOrg("Acme")
	hook := e.createHook(tok, publicHookURL, EventMessageCreated)
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	_, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	_, visitorTok := e.seedVisitor(e.seedWidget(owner.OrgID))
	routes := [][2]string{{"GET", "/webhooks"}, {"POST", "/webhooks"}, {"GET", "/webhooks/" + hook.ID},
		{"PATCH", "/webhooks/" + hook.ID}, {"DELETE", "/webhooks/" + hook.ID},
		{"POST", "/webhooks/" + hook.ID + "/rotate-secret"}, {"GET", "/webhooks/" + hook.ID + "/deliveries"},
		{"POST", "/webhooks/" + hook.ID + "/test"}, {"POST", "/webhooks/deliveries/whd_x/redeliver"}}
	for _, rt := range routes {
		e.do(rt[0], "/rest/v1"+rt[1], map[string]any{}).expect(t, 401, httpx.CodeUnauthorized)
		e.do(rt[0], "/rest/v1"+rt[1], map[string]any{}, bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
		e.do(rt[0], "/rest/v1"+rt[1], map[string]any{}, bearer(visitorTok)).expect(t, 403, httpx.CodeForbidden)
	}
	e.do("GET", "/rest/v1/webhooks/"+hook.ID, nil, bearer(adminTok)).expect(t, 200, "")
}

func TestWebhookWithoutDispatcherIs503(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.seedOrg("Acme")
	e.do("GET", "/rest/v1/webhooks", nil, bearer(tok)).expect(t, 503, codeUnavailable)
}

func TestWebhookUpdate(t *testing.T) {
	t.Parallel()
	e, h := newHookEnv(t)
	owner, tok := e.seedOrg("Acme")
	hook := e.createHook(tok, publicHookURL, EventMessageCreated)
	var got hookOut
	e.do("PATCH", "/rest/v1/webhooks/"+hook.ID, map[string]any{"events": []string{EventVisitorCreated},
		"url": "https://93.184.216.35/other"}, bearer(tok)).expect(t, 200, "").json(t, &got)
	if got.URL != "https://93.184.216.35/other" || len(got.Events) != 1 || got.Events[0] != EventVisitorCreated || got.Secret != "" {
		t.Fatalf("patched %+v", got)
	}
	for _, body := range []map[string]any{{"url": "http://127.0.0.1/x"}, {"events": []string{}},
		{"events": []string{"nope"}}, {"url": "ftp://93.184.216.34/"}, {"secret": "x"}} {
		r := e.do("PATCH", "/rest/v1/webhooks/"+hook.ID, body, bearer(tok))
		if r.status != 400 {
			t.Errorf("PATCH %v: %d %s, want 400", body, r.status, r.body)
		}
	}
	e.do("PATCH", "/rest/v1/webhooks/"+hook.ID, map[string]any{"enabled": false}, bearer(tok)).expect(t, 200, "").json(t, &got)
	if got.Enabled || got.DisabledReason == nil || *got.DisabledReason != storage.WebhookDisabledManual {
		t.Fatalf("disabled %+v", got)
	}
	// The dispatcher disabled it after failures: enabling resets the count.
	ep, _ := e.store.GetWebhookEndpoint(context.Background(), owner.OrgID, hook.ID)
	ep.DisabledReason, ep.ConsecutiveFailures = storage.WebhookDisabledFailures, 100
	if err := e.store.UpdateWebhookEndpoint(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/rest/v1/webhooks/"+hook.ID, nil, bearer(tok)).expect(t, 200, "").json(t, &got)
	if got.DisabledReason == nil || *got.DisabledReason != "consecutive_failures" || got.ConsecutiveFailures != 100 {
		t.Fatalf("auto-disabled view %+v", got)
	}
	e.do("PATCH", "/rest/v1/webhooks/"+hook.ID, map[string]any{"enabled": true}, bearer(tok)).expect(t, 200, "").json(t, &got)
	if !got.Enabled || got.DisabledReason != nil || got.ConsecutiveFailures != 0 {
		t.Fatalf("re-enabled %+v", got)
	}
	stored, _ := e.store.GetWebhookEndpoint(context.Background(), owner.OrgID, hook.ID)
	if stored.Secret == "" || !stored.Enabled || stored.ConsecutiveFailures != 0 || !stored.DisabledAt.IsZero() {
		t.Errorf("stored after re-enable %+v", stored)
	}
	for action, want := range map[string]int{"webhook.updated": 1, "webhook.disabled": 1, "webhook.enabled": 1} {
		if n := countAudit(t, e, owner, action); n != want {
			t.Errorf("%s audited %d times, want %d", action, n, want)
		}
	}
	if n := h.invalidations.Load(); n != 4 { // create, update, disable, enable
		t.Errorf("Invalidate called %d times, want 4", n)
	}
}

func TestWebhookRotateSecret(t *testing.T) {
	t.Parallel()
	e, _ := newHookEnv(t)
	owner, tok := e.seedOrg("Acme")
	hook := e.createHook(tok, publicHookURL, EventMessageCreated)
	now := e.clock.Now()
	var rot struct {
		ID, Secret          string
		PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	}
	res := e.do("POST", "/rest/v1/webhooks/"+hook.ID+"/rotate-secret", nil, bearer(tok)).expect(t, 200, "")
	res.json(t, &rot)
	if res.header.Get("Cache-Control") != "no-store" || rot.ID != hook.ID || !strings.HasPrefix(rot.Secret, "whsec_") ||
		rot.Secret == hook.Secret || rot.PreviousSecretUntil == nil || !rot.PreviousSecretUntil.Equal(now.Add(86400*time.Second)) {
		t.Fatalf("rotate (default overlap) %s", res.body)
	}
	ep, _ := e.store.GetWebhookEndpoint(context.Background(), owner.OrgID, hook.ID)
	if ep.Secret != rot.Secret || ep.PreviousSecret != hook.Secret || !ep.PreviousSecretUntil.Equal(now.Add(24*time.Hour)) {
		t.Errorf("stored rotation: previous kept %v until %v", ep.PreviousSecret == hook.Secret, ep.PreviousSecretUntil)
	}
	var view hookOut
	e.do("GET", "/rest/v1/webhooks/"+hook.ID, nil, bearer(tok)).expect(t, 200, "").json(t, &view)
	if !view.SecretRotating {
		t.Error("secret_rotating false during the overlap")
	}
	second := rot.Secret
	e.do("POST", "/rest/v1/webhooks/"+hook.ID+"/rotate-secret", map[string]any{"overlap_seconds": 0}, bearer(tok)).
		expect(t, 200, "").json(t, &rot)
	ep, _ = e.store.GetWebhookEndpoint(context.Background(), owner.OrgID, hook.ID)
	if rot.PreviousSecretUntil != nil || ep.PreviousSecret != "" || ep.Secret != rot.Secret || rot.Secret == second {
		t.Errorf("overlap 0: previous kept %v until %v", ep.PreviousSecret != "", rot.PreviousSecretUntil)
	}
	for _, body := range []any{map[string]any{"overlap_seconds": -1}, map[string]any{"overlap_seconds": 604801},
		map[string]any{"overlap_seconds": "60"}, map[string]any{"overlap": 60}} {
		e.do("POST", "/rest/v1/webhooks/"+hook.ID+"/rotate-secret", body, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	e.do("POST", "/rest/v1/webhooks/"+hook.ID+"/rotate-secret", map[string]any{"overlap_seconds": 604800}, bearer(tok)).
		expect(t, 200, "").json(t, &rot)
	if rot.PreviousSecretUntil == nil || !rot.PreviousSecretUntil.Equal(now.Add(7*24*time.Hour)) {
		t.Errorf("max overlap until %v", rot.PreviousSecretUntil)
	}
	if n := countAudit(t, e, owner, "webhook.secret_rotated"); n != 3 {
		t.Errorf("webhook.secret_rotated audited %d times, want 3", n)
	}
}

func TestWebhookDeleteRemovesEndpointAndLog(t *testing.T) {
	t.Parallel()
	e, _ := newHookEnv(t)
	owner, tok := e.seedOrg("Acme")
	hook := e.createHook(tok, publicHookURL, EventMessageCreated)
	var d deliveryOut
	e.do("POST", "/rest/v1/webhooks/"+hook.ID+"/test", nil, bearer(tok)).expect(t, 202, "").json(t, &d)
	e.do("DELETE", "/rest/v1/webhooks/"+hook.ID, nil, bearer(tok)).expect(t, 204, "")
	e.do("GET", "/rest/v1/webhooks/"+hook.ID, nil, bearer(tok)).expect(t, 404, httpx.CodeNotFound)
	e.do("DELETE", "/rest/v1/webhooks/"+hook.ID, nil, bearer(tok)).expect(t, 404, httpx.CodeNotFound)
	if _, err := e.store.GetWebhookDelivery(context.Background(), owner.OrgID, d.ID); err == nil {
		t.Error("the deleted endpoint's delivery survived")
	}
	if n := countAudit(t, e, owner, "webhook.deleted"); n != 1 {
		t.Errorf("webhook.deleted audited %d times", n)
	}
}

func TestWebhookCountLimit(t *testing.T) {
	t.Parallel()
	e, _ := newHookEnv(t)
	_, tok := e.seedOrg("Acme")
	for range maxWebhookEndpoints {
		e.createHook(tok, publicHookURL, EventMessageCreated)
	}
	e.do("POST", "/rest/v1/webhooks", map[string]any{"url": publicHookURL, "events": []string{EventMessageCreated}},
		bearer(tok)).expect(t, 409, httpx.CodeConflict)
}

// Secret keys reach the webhook routes with webhooks:write only, and
// never beyond their owner's role.
func TestWebhookRoutesWithSecretKeys(t *testing.T) {
	t.Parallel()
	e, _ := newHookEnv(t)
	owner, tok := e.seedOrg("Acme")
	hooks := e.createKey(tok, map[string]any{"name": "hooks", "scopes": []string{"webhooks:write"}})
	chats := e.createKey(tok, map[string]any{"name": "chats", "scopes": []string{"chats:read"}})
	body := map[string]any{"url": publicHookURL, "events": []string{EventMessageCreated}}
	var out hookOut
	e.do("POST", "/rest/v1/webhooks", body, bearer(hooks.Key)).expect(t, 201, "").json(t, &out)
	e.do("GET", "/rest/v1/webhooks", nil, bearer(hooks.Key)).expect(t, 200, "")
	e.do("GET", "/rest/v1/webhooks/"+out.ID+"/deliveries", nil, bearer(hooks.Key)).expect(t, 200, "")
	e.do("POST", "/rest/v1/webhooks/"+out.ID+"/test", nil, bearer(hooks.Key)).expect(t, 202, "")
	e.do("GET", "/rest/v1/webhooks", nil, bearer(chats.Key)).expect(t, 403, "insufficient_scope")
	e.do("POST", "/rest/v1/webhooks", body, bearer(chats.Key)).expect(t, 403, "insufficient_scope")
	if n := countAudit(t, e, owner, "webhook.created"); n != 1 {
		t.Errorf("webhook.created audited %d times", n)
	}
	// An admin's key stops at the manager check once the admin is demoted.
	admin, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	k := e.createKey(adminTok, map[string]any{"name": "admin hooks", "scopes": []string{"webhooks:write"}})
	e.do("GET", "/rest/v1/webhooks", nil, bearer(k.Key)).expect(t, 200, "")
	if err := e.store.SetAgentRole(context.Background(), owner.OrgID, admin.ID, storage.RoleAgent); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/rest/v1/webhooks", nil, bearer(k.Key)).expect(t, 403, "")
}
