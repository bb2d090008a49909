package api

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

type widgetOut struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	PublishableKey string            `json:"publishable_key"`
	AllowedOrigins []string          `json:"allowed_origins"`
	Prechat        map[string]string `json:"prechat"`
	OfflineMessage string            `json:"offline_message"`
}

type configOut struct {
	Prechat        map[string]string `json:"prechat"`
	OfflineMessage string            `json:"offline_message"`
	AgentsOnline   *bool             `json:"agents_online"`
}

func prechat(name, email, phone string) map[string]string {
	return map[string]string{"name": name, "email": email, "phone": phone}
}

func samePrechat(t *testing.T, got, want map[string]string, what string) {
	t.Helper()
	if len(got) != 3 || got["name"] != want["name"] || got["email"] != want["email"] || got["phone"] != want["phone"] {
		t.Fatalf("%s: prechat %v, want %v", what, got, want)
	}
}

func TestCreateWidgetWithSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.seedOrg("Acme")
	var def widgetOut
	e.do("POST", "/rest/v1/widgets", map[string]any{"name": "Plain"}, bearer(tok)).expect(t, 201, "").json(t, &def)
	samePrechat(t, def.Prechat, prechat("required", "optional", "optional"), "default widget")
	if def.OfflineMessage != "" {
		t.Fatalf("default offline message %q, want empty", def.OfflineMessage)
	}
	body := map[string]any{"name": "Set", "prechat": map[string]string{"name": "hidden", "email": "required"},
		"offline_message": "  Back at 9.\nLeave a note.  "}
	var got widgetOut
	e.do("POST", "/rest/v1/widgets", body, bearer(tok)).expect(t, 201, "").json(t, &got)
	samePrechat(t, got.Prechat, prechat("hidden", "required", "optional"), "created widget")
	if got.OfflineMessage != "Back at 9.\nLeave a note." {
		t.Fatalf("offline message %q", got.OfflineMessage)
	}
	var list struct{ Widgets []widgetOut }
	e.do("GET", "/rest/v1/widgets", nil, bearer(tok)).expect(t, 200, "").json(t, &list)
	if len(list.Widgets) != 2 || list.Widgets[1].ID != got.ID || list.Widgets[1].OfflineMessage != got.OfflineMessage {
		t.Fatalf("list %+v", list)
	}
	samePrechat(t, list.Widgets[1].Prechat, got.Prechat, "listed widget")
	for _, bad := range []map[string]any{
		{"name": "S", "prechat": map[string]string{"name": "mandatory"}},
		{"name": "S", "prechat": map[string]string{"phone": "REQUIRED"}},
		{"name": "S", "prechat": "required"},
		{"name": "S", "offline_message": strings.Repeat("x", maxOfflineLen+1)},
		{"name": "S", "offline_message": "bell\a"},
		{"name": "S", "colour": "red"},
	} {
		e.do("POST", "/rest/v1/widgets", bad, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	}
}

func TestUpdateWidget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	wg := e.seedWidget(owner.OrgID, "https://shop.example.com")
	path := "/rest/v1/widgets/" + wg.ID

	var got widgetOut
	e.do("PATCH", path, map[string]any{"prechat": map[string]string{"phone": "required"}}, bearer(tok)).
		expect(t, 200, "").json(t, &got)
	samePrechat(t, got.Prechat, prechat("required", "optional", "required"), "after prechat patch")
	if got.Name != "site" || got.PublishableKey != wg.PublishableKey || len(got.AllowedOrigins) != 1 {
		t.Fatalf("untouched fields changed: %+v", got)
	}
	body := map[string]any{"name": " Shop ", "allowed_origins": []string{"HTTPS://New.Example.com:8443", "http://localhost:3000"},
		"prechat": map[string]string{"name": "optional", "email": "hidden"}, "offline_message": "Away"}
	e.do("PATCH", path, body, bearer(tok)).expect(t, 200, "").json(t, &got)
	stored, err := e.store.GetWidget(context.Background(), owner.OrgID, wg.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := storage.Widget{ID: wg.ID, OrgID: owner.OrgID, Name: "Shop", PublishableKey: wg.PublishableKey,
		AllowedOrigins: []string{"https://new.example.com:8443", "http://localhost:3000"},
		Prechat:        storage.PrechatFields{Name: storage.FieldOptional, Email: storage.FieldHidden, Phone: storage.FieldRequired},
		OfflineMessage: "Away", CreatedAt: wg.CreatedAt}
	if !sameWidget(stored, want) {
		t.Fatalf("stored %+v\nwant %+v", stored, want)
	}
	// "" resets a mode to its default; an empty origin list removes all.
	e.do("PATCH", path, map[string]any{"prechat": map[string]string{"phone": ""}, "allowed_origins": []string{},
		"offline_message": ""}, bearer(tok)).expect(t, 200, "").json(t, &got)
	samePrechat(t, got.Prechat, prechat("optional", "hidden", "optional"), "after reset")
	if len(got.AllowedOrigins) != 0 || got.AllowedOrigins == nil || got.OfflineMessage != "" {
		t.Fatalf("after reset %+v", got)
	}
	audit, err := e.store.ListAudit(context.Background(), owner.OrgID, 10)
	if err != nil || len(audit) == 0 || audit[0].Action != "widget.updated" || audit[0].TargetID != wg.ID ||
		audit[0].ActorID != owner.ID {
		t.Fatalf("audit %+v %v", audit, err)
	}
}

func sameWidget(a, b storage.Widget) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.Name == b.Name && a.PublishableKey == b.PublishableKey &&
		strings.Join(a.AllowedOrigins, " ") == strings.Join(b.AllowedOrigins, " ") && a.Prechat == b.Prechat &&
		a.OfflineMessage == b.OfflineMessage && a.CreatedAt.Equal(b.CreatedAt)
}

func TestUpdateWidgetRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, tok := e.seedOrg("Acme")
	wg := e.seedWidget(owner.OrgID, "https://shop.example.com")
	path := "/rest/v1/widgets/" + wg.ID
	for _, bad := range []map[string]any{
		{},
		{"name": ""},
		{"allowed_origins": []string{"https://*.example.com"}},
		{"allowed_origins": []string{"https://example.com/path"}},
		{"prechat": map[string]string{"email": "sometimes"}},
		{"offline_message": strings.Repeat("é", maxOfflineLen+1)},
		{"publishable_key": "pk_mine"},
	} {
		e.do("PATCH", path, bad, bearer(tok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	e.do("PATCH", path, map[string]any{"name": "x"}, bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	_, adminTok := e.seedAgent(owner.OrgID, storage.RoleAdmin)
	e.do("PATCH", path, map[string]any{"name": "By admin"}, bearer(adminTok)).expect(t, 200, "")
	e.do("PATCH", path, map[string]any{"name": "x"}).expect(t, 401, httpx.CodeUnauthorized)
	other, otherTok := e.seedOrg("Other")
	e.do("PATCH", path, map[string]any{"name": "Hijack"}, bearer(otherTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("PATCH", "/rest/v1/widgets/wdg_missing", map[string]any{"name": "x"}, bearer(tok)).expect(t, 404, httpx.CodeNotFound)
	e.do("PATCH", "/rest/v1/widgets/BAD!", map[string]any{"name": "x"}, bearer(tok)).expect(t, 404, httpx.CodeNotFound)
	stored, err := e.store.GetWidget(context.Background(), owner.OrgID, wg.ID)
	if err != nil || stored.Name != "By admin" || len(stored.AllowedOrigins) != 1 || stored.Prechat != (storage.PrechatFields{}) {
		t.Fatalf("after refusals %+v %v", stored, err)
	}
	if a, _ := e.store.ListAudit(context.Background(), other.OrgID, 10); len(a) != 0 {
		t.Fatalf("other org audit %+v", a)
	}
}

// fakePresence answers from a set; safe for concurrent use.
type fakePresence struct {
	mu     sync.Mutex
	online map[string]bool
	asked  []string
}

func (p *fakePresence) AgentsOnline(orgID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, orgID)
	return p.online[orgID]
}

func (p *fakePresence) set(orgID string, on bool) {
	p.mu.Lock()
	p.online[orgID] = on
	p.mu.Unlock()
}

func TestWidgetConfig(t *testing.T) {
	t.Parallel()
	pres := &fakePresence{online: map[string]bool{}}
	e := newEnv(t, func(c *Config) { c.Presence = pres })
	owner, tok := e.seedOrg("Acme")
	wg := e.seedWidget(owner.OrgID, "https://shop.example.com")
	path := "/rest/v1/widget/config?key=" + wg.PublishableKey

	var cfg configOut
	r := e.do("GET", path, nil).expect(t, 200, "")
	r.json(t, &cfg)
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("headers %v", r.header)
	}
	samePrechat(t, cfg.Prechat, prechat("required", "optional", "optional"), "default config")
	if cfg.OfflineMessage != DefaultOfflineMessage || cfg.AgentsOnline == nil || *cfg.AgentsOnline {
		t.Fatalf("config %+v", cfg)
	}
	pres.set(owner.OrgID, true)
	e.do("PATCH", "/rest/v1/widgets/"+wg.ID, map[string]any{"offline_message": "Gone fishing",
		"prechat": map[string]string{"name": "hidden", "email": "required", "phone": "hidden"}}, bearer(tok)).expect(t, 200, "")
	e.do("GET", path, nil).expect(t, 200, "").json(t, &cfg)
	samePrechat(t, cfg.Prechat, prechat("hidden", "required", "hidden"), "updated config")
	if cfg.OfflineMessage != "Gone fishing" || !*cfg.AgentsOnline {
		t.Fatalf("config %+v", cfg)
	}
	// Presence is asked about the widget's own organisation only.
	other, _ := e.seedOrg("Other")
	otherWg := e.seedWidget(other.OrgID)
	e.do("GET", "/rest/v1/widget/config?key="+otherWg.PublishableKey, nil).expect(t, 200, "").json(t, &cfg)
	if *cfg.AgentsOnline {
		t.Fatalf("other org reported online: %+v", cfg)
	}
	pres.mu.Lock()
	asked := strings.Join(pres.asked, " ")
	pres.mu.Unlock()
	if asked != owner.OrgID+" "+owner.OrgID+" "+other.OrgID {
		t.Fatalf("presence asked for %q", asked)
	}

	e.do("GET", "/rest/v1/widget/config?key=pk_unknown", nil).expect(t, 404, httpx.CodeNotFound)
	for _, q := range []string{"", "?key=", "?key=wdg_x", "?key=pk_a&key=pk_b", "?key=pk_" + strings.Repeat("a", 80)} {
		e.do("GET", "/rest/v1/widget/config"+q, nil).expect(t, 400, httpx.CodeValidationFailed)
	}
}

func TestWidgetConfigWithoutPresenceSaysOnline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	wg := e.seedWidget(owner.OrgID)
	var cfg configOut
	e.do("GET", "/rest/v1/widget/config?key="+wg.PublishableKey, nil).expect(t, 200, "").json(t, &cfg)
	if cfg.AgentsOnline == nil || !*cfg.AgentsOnline {
		t.Fatalf("nil Presence: %+v, want agents_online true", cfg)
	}
}
