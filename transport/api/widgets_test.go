package api

import (
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

func TestCreateWidget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	var out struct {
		ID             string   `json:"id"`
		PublishableKey string   `json:"publishable_key"`
		AllowedOrigins []string `json:"allowed_origins"`
	}
	body := map[string]any{"name": "Site", "allowed_origins": []string{"https://Shop.Example.com", "http://localhost:3000", "https://shop.example.com:443"}}
	e.do("POST", "/rest/v1/widgets", body, bearer(ownerTok)).expect(t, 201, "").json(t, &out)
	if out.ID == "" || !strings.HasPrefix(out.PublishableKey, "pk_") || len(out.PublishableKey) < 20 {
		t.Fatalf("widget %+v", out)
	}
	want := []string{"https://shop.example.com", "http://localhost:3000"}
	if strings.Join(out.AllowedOrigins, " ") != strings.Join(want, " ") {
		t.Fatalf("origins %v, want %v", out.AllowedOrigins, want)
	}
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	e.do("POST", "/rest/v1/widgets", body, bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	var list struct {
		Widgets []struct{ ID, PublishableKey string }
	}
	e.do("GET", "/rest/v1/widgets", nil, bearer(agentTok)).expect(t, 200, "").json(t, &list)
	if len(list.Widgets) != 1 || list.Widgets[0].ID != out.ID {
		t.Fatalf("list %+v", list)
	}
	_, otherTok := e.seedOrg("Other")
	e.do("GET", "/rest/v1/widgets", nil, bearer(otherTok)).expect(t, 200, "").json(t, &list)
	if len(list.Widgets) != 0 {
		t.Fatalf("other tenant sees %+v", list)
	}
}

func TestCreateWidgetRejectsBadOrigins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.seedOrg("Acme")
	for _, o := range []string{"*", "https://*.example.com", "https://example.com/", "https://example.com/path",
		"ftp://example.com", "example.com", "https://user@example.com", "https://example.com?x=1",
		"https://example.com#f", "https://example.com:0", "https://example.com:99999", "null", ""} {
		e.do("POST", "/rest/v1/widgets", map[string]any{"name": "S", "allowed_origins": []string{o}}, bearer(tok)).
			expect(t, 400, httpx.CodeValidationFailed)
	}
	e.do("POST", "/rest/v1/widgets", map[string]any{"name": "", "allowed_origins": []string{}}, bearer(tok)).
		expect(t, 400, httpx.CodeValidationFailed)
}

func TestNormOrigin(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"https://example.com":        "https://example.com",
		"HTTPS://EXAMPLE.COM":        "https://example.com",
		"https://example.com:443":    "https://example.com",
		"http://example.com:80":      "http://example.com",
		"https://example.com:8443":   "https://example.com:8443",
		"http://127.0.0.1:8080":      "http://127.0.0.1:8080",
		"http://[::1]:3000":          "http://[::1]:3000",
		"http://[::1]":               "http://[::1]",
		"https://a-b.c.example":      "https://a-b.c.example",
		" https://example.com ":      "https://example.com",
		"http://localhost":           "http://localhost",
		"https://xn--bcher-kva.test": "https://xn--bcher-kva.test",
	}
	for in, want := range good {
		got, err := normOrigin(in)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"", "*", "https://*.example.com", "https://example.com/", "https://example.com/x",
		"ftp://example.com", "//example.com", "example.com", "https://u:p@example.com", "https://example.com?",
		"https://example.com#", "https://example.com:", "https://example.com:0", "https://example.com:65536",
		"https://example.com:08080", "https://-bad.example", "https://bad_host.example", "https://bücher.test",
		"https://exa mple.com", "http://[fe80::1%25eth0]", "javascript:alert(1)", "null", "https://", "https://a..b"}
	for _, in := range bad {
		if got, err := normOrigin(in); err == nil {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
}

func FuzzNormOrigin(f *testing.F) {
	for _, s := range []string{"https://example.com", "http://[::1]:80", "https://a.b:8080/x", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := normOrigin(in)
		if err != nil {
			return
		}
		again, err := normOrigin(out)
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, out, again, err)
		}
		scheme, rest, ok := strings.Cut(out, "://")
		if !ok || scheme != "http" && scheme != "https" || rest == "" || strings.ContainsAny(rest, "*/?#@ \\") ||
			strings.ToLower(out) != out {
			t.Fatalf("bad output %q from %q", out, in)
		}
	})
}
