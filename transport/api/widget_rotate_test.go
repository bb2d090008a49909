package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// New widgets get checksummed pk_live_ keys; a rotation issues a new key
// and the previous one keeps opening the widget (config and visitor
// sessions) until now + overlap exactly.
func TestWidgetRotateKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	var wg widgetView
	e.do("POST", "/rest/v1/widgets", map[string]any{"name": "site"}, bearer(tok)).expect(t, 201, "").json(t, &wg)
	if info, ok := security.ParseKey(wg.PublishableKey); !ok || info.Kind != security.KeyKindPublishable || info.Mode != "live" {
		t.Fatalf("new widget key %q", wg.PublishableKey)
	}
	old := wg.PublishableKey
	var rotated widgetView
	e.do("POST", "/rest/v1/widgets/"+wg.ID+"/rotate-key", map[string]any{"overlap_seconds": 120}, bearer(tok)).
		expect(t, 200, "").json(t, &rotated)
	if rotated.ID != wg.ID || rotated.PublishableKey == old || !strings.HasPrefix(rotated.PublishableKey, "pk_live_") {
		t.Fatalf("rotated widget %+v", rotated)
	}
	opens := func(key string, want int) {
		t.Helper()
		e.do("GET", "/rest/v1/widget/config?key="+key, nil).expect(t, want, "")
		status := want
		if want == 200 {
			status = 201
		}
		e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": key}).expect(t, status, "")
	}
	opens(rotated.PublishableKey, 200)
	e.clock.Advance(120*time.Second - time.Millisecond)
	opens(old, 200)
	e.clock.Advance(time.Millisecond)
	opens(old, 404)
	opens(rotated.PublishableKey, 200)

	tok = e.token(owner.OrgID, storage.SubjectAgent, owner.ID)
	e.do("POST", "/rest/v1/widgets/"+wg.ID+"/rotate-key", map[string]any{"overlap_seconds": 0}, bearer(tok)).
		expect(t, 200, "").json(t, &rotated)
	e.do("GET", "/rest/v1/widget/config?key="+wg.PublishableKey, nil).expect(t, 404, httpx.CodeNotFound)

	events, err := e.store.QueryAudit(context.Background(), owner.OrgID, storage.AuditQuery{Action: "widget.key_rotated"})
	if err != nil || len(events) != 2 || events[0].TargetID != wg.ID || events[0].ActorID != owner.ID {
		t.Fatalf("audit %+v (%v)", events, err)
	}
}

// Only owner/admin sessions rotate widget keys: agents get 403, keys 403
// insufficient_scope, another organisation 404; overlap is validated.
func TestWidgetRotateKeyRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	other, otherTok := e.seedOrg("Beta")
	w := e.seedWidget(owner.OrgID)
	_, key := e.seedKey(owner, "live", allScopes)
	body := map[string]any{"overlap_seconds": 60}
	path := "/rest/v1/widgets/" + w.ID + "/rotate-key"
	e.do("POST", path, body, bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	e.do("POST", path, body, bearer(key)).expect(t, 403, codeInsufficientScope)
	e.do("POST", path, body, bearer(otherTok)).expect(t, 404, httpx.CodeNotFound)
	for _, bad := range []any{map[string]any{}, map[string]any{"overlap_seconds": 604801}, map[string]any{"overlap_seconds": -1}} {
		e.do("POST", path, bad, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	got, err := e.store.GetWidget(context.Background(), owner.OrgID, w.ID)
	if err != nil || got.PublishableKey != w.PublishableKey || got.PreviousKey != "" {
		t.Fatalf("a refused rotation changed the widget: %+v (%v)", got, err)
	}
	_ = other
}
