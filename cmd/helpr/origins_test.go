package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/client"
)

func TestOwnOriginsAliasesOnlyWithoutPublicURL(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"loopback default", Config{Addr: "127.0.0.1:8080"},
			[]string{"http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"}},
		{"all interfaces", Config{Addr: "0.0.0.0:9000"},
			[]string{"http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"}},
		{"localhost name", Config{Addr: "localhost:8080"},
			[]string{"http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080"}},
		{"configured public URL stands alone", Config{Addr: "127.0.0.1:8080", PublicURL: "https://chat.example.com"},
			[]string{"https://chat.example.com"}},
		{"LAN address", Config{Addr: "10.0.0.5:8080"}, []string{"http://10.0.0.5:8080"}},
	}
	for _, c := range cases {
		c.cfg.defaults()
		if got := ownOrigins(c.cfg); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// checkOrigin posts to /rest/v1/ws/check from origin and returns the status
// and the error code and message.
func checkOrigin(t *testing.T, n *node, origin, query string, header ...string) (int, string, string) {
	t.Helper()
	var body struct {
		OK    bool `json:"ok"`
		Error struct{ Code, Message string }
	}
	code := n.call("POST", "/rest/v1/ws/check"+query, "", nil, &body, append([]string{"Origin", origin}, header...)...)
	return code, body.Error.Code, body.Error.Message
}

// With no --public-url, a developer's browser may use localhost, 127.0.0.1
// or [::1] for the same hub: the console's socket, its cookie-authenticated
// writes and the check endpoint accept all three; any other origin is
// refused with one warning line that names it and the flag.
func TestLoopbackAliasesAreTheHubsOrigin(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	_, port, _ := strings.Cut(n.addr(), ":")
	cookie := "helpr_access=" + tn.owner.AccessToken
	for _, o := range []string{"http://localhost:" + port, "http://127.0.0.1:" + port, "http://[::1]:" + port} {
		c := n.dial(ctx, client.Options{Origin: o, Header: http.Header{"Cookie": {cookie}}})
		_ = c.CloseNow()
		if code, _, msg := checkOrigin(t, n, o, "", "Cookie", cookie); code != http.StatusOK {
			t.Errorf("check from %s: %d %s", o, code, msg)
		}
		var out map[string]any
		if code := n.call("POST", "/rest/v1/auth/refresh", "", nil, &out, "Origin", o, "Cookie", "helpr_refresh="+tn.owner.RefreshToken); code == http.StatusForbidden {
			t.Errorf("cookie refresh from %s: 403", o)
		}
	}

	evil := "http://192.168.1.9:" + port
	for range 3 {
		if _, resp, err := client.Dial(ctx, n.base, client.Options{Origin: evil, Header: http.Header{"Cookie": {cookie}}}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dial from %s: %v, want 403", evil, err)
		}
	}
	code, errCode, msg := checkOrigin(t, n, evil, "")
	if code != http.StatusForbidden || errCode != "forbidden_origin" || !strings.Contains(msg, "--public-url "+evil) {
		t.Errorf("check from %s: %d %s %q, want 403 forbidden_origin naming --public-url", evil, code, errCode, msg)
	}
	if got := countLines(n.logs.String(), "refused browser origin "+evil); got != 1 {
		t.Errorf("%d warning lines for %s, want exactly 1:\n%s", got, evil, tail(n.logs.String(), 20))
	}
	if !strings.Contains(n.logs.String(), "--public-url") {
		t.Errorf("the warning does not name --public-url:\n%s", tail(n.logs.String(), 20))
	}

	// A widget's check names the widget's allowed origins, not the flag.
	code, _, msg = checkOrigin(t, n, "https://evil.test", "?key="+tn.widgetKey)
	if code != http.StatusForbidden || !strings.Contains(msg, "allowed origins") {
		t.Errorf("widget check from a foreign site: %d %q", code, msg)
	}
}

// A configured public URL is the only origin: localhost is then refused.
func TestConfiguredPublicURLHasNoAliases(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0", func(c *Config) { c.PublicURL = "https://chat.example" })
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	_, port, _ := strings.Cut(n.addr(), ":")
	cookie := http.Header{"Cookie": {"helpr_access=" + tn.owner.AccessToken}}
	if _, resp, err := client.Dial(ctx, n.base, client.Options{Origin: "http://localhost:" + port, Header: cookie}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("localhost with a configured public URL: %v, want 403", err)
	}
	n.dial(ctx, client.Options{Origin: "https://chat.example", Token: tn.owner.AccessToken}).CloseNow()
}

// The demo page and the widget frame treat the hub's aliases alike: a
// widget allowed on http://127.0.0.1:PORT works on http://localhost:PORT/demo.
func TestDemoWidgetWorksOnEveryAlias(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", n.base)
	_, port, _ := strings.Cut(n.addr(), ":")
	resp, body := get(t, "http://localhost:"+port, "/demo?key="+tn.widgetKey)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-key="`+tn.widgetKey+`"`) {
		t.Fatalf("demo on localhost: %d, widget not embedded:\n%s", resp.StatusCode, body)
	}
	resp, _ = get(t, "http://localhost:"+port, "/widget/frame?key="+tn.widgetKey)
	csp := resp.Header.Get("Content-Security-Policy")
	i := strings.Index(csp, "frame-ancestors")
	if i < 0 {
		t.Fatalf("no frame-ancestors: %s", csp)
	}
	for _, o := range []string{n.base, "http://localhost:" + port, "'self'"} {
		if !strings.Contains(csp[i:], o) {
			t.Errorf("frame-ancestors lacks %s: %s", o, csp)
		}
	}
	if !strings.Contains(csp, "ws://localhost:"+port) {
		t.Errorf("connect-src lacks ws://localhost:%s: %s", port, csp)
	}
	// CSP cannot express IPv6 literals: browsers would report the source as
	// invalid; 'self' covers the [::1] alias.
	if strings.Contains(csp, "[::1]") {
		t.Errorf("CSP holds an IPv6 literal source: %s", csp)
	}
}

// countLines counts the lines of s that contain sub.
func countLines(s, sub string) int {
	n := 0
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			n++
		}
	}
	return n
}
