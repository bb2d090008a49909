package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The owner the developer-platform scenarios sign in as, and an agent.
const (
	devOwnerEmail    = "dev-owner@acme.test"
	devAgentEmail    = "dev-agent@acme.test"
	devAgentPassword = "another long agent password"
)

// shopPage is a customer's site that identifies its signed-in user to the
// widget: with data-token-url (the loader POSTs to the site's own /token) or,
// when Identify is set, with helpr('identify', token) from the page's own
// script, which also identifies again on helpr:token-expired (counting them
// in window.__expired for the test). With Bogus the page first identifies
// with a token the hub refuses.
var shopPage = template.Must(template.New("shop").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop of {{.User}}</title></head>
<body>
<h1>Signed in as {{.User}}</h1>
{{if .Identify}}<script>
window.helpr = window.helpr || function () { (window.helpr.q = window.helpr.q || []).push(arguments); };
window.__expired = 0;
function identify() {
  fetch("/token?user={{.User}}", { method: "POST" })
    .then(function (r) { return r.json(); })
    .then(function (j) { window.helpr("identify", j.token); });
}
window.addEventListener("helpr:token-expired", function () { window.__expired++; identify(); });
{{if .Bogus}}window.helpr("identify", "not-a-chat-token"); // refused: the widget asks the page again
{{else}}identify();
{{end}}
</script>
<script src="{{.Hub}}/widget.js" data-key="{{.Key}}" async></script>
{{else}}<script src="{{.Hub}}/widget.js" data-key="{{.Key}}" data-token-url="/token?user={{.User}}" async></script>
{{end}}</body></html>`))

// devShop is the customer's backend of the test: its token endpoint mints
// chat tokens with a secret key (POST /rest/v1/auth/token), and it records
// webhook deliveries.
type devShop struct {
	t       *testing.T
	n       *node
	keyID   string
	secret  string
	mu      sync.Mutex
	tokens  []string          // every chat token minted (the pages must never hold one)
	users   map[string]string // external id → customer user id
	hooks   []shopHook
	arrived chan struct{}
}

// shopHook is one webhook request the receiver got.
type shopHook struct {
	Event     string `json:"event"`
	Signature string `json:"signature"`
	Delivery  string `json:"delivery"`
	Body      string `json:"body"`
}

func (s *devShop) mint(user string) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"keyId": s.keyID, "keySecret": s.secret,
		"user": map[string]string{"id": user, "name": "Dana Identified", "email": "dana@shop.test"},
	})
	resp, err := http.Post(s.n.base+"/rest/v1/auth/token", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tk struct {
		Token          string `json:"token"`
		CustomerUserID string `json:"customerUserId"`
	}
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("auth/token: %d %s", resp.StatusCode, raw)
	}
	if err := json.NewDecoder(resp.Body).Decode(&tk); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.tokens = append(s.tokens, tk.Token)
	s.users[user] = tk.CustomerUserID
	s.mu.Unlock()
	return tk.Token, nil
}

func (s *devShop) register(mux *http.ServeMux, hub, widgetKey string) {
	page := func(identify bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = shopPage.Execute(w, struct {
				Hub, Key, User  string
				Identify, Bogus bool
			}{hub, widgetKey, r.URL.Query().Get("user"), identify, r.URL.Query().Has("bogus")})
		}
	}
	mux.HandleFunc("GET /shop", page(false))
	mux.HandleFunc("GET /shop-identify", page(true))
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		tok, err := s.mint(r.URL.Query().Get("user"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"token": tok})
	})
	// Test controls for the script.
	mux.HandleFunc("POST /__tokens", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		_ = json.NewEncoder(w).Encode(s.tokens)
	})
	mux.HandleFunc("POST /__key", s.tryKey)
	mux.HandleFunc("POST /__invalidate", s.invalidate)
	mux.HandleFunc("POST /hook", s.receive)
	mux.HandleFunc("POST /__hooks", s.awaitHooks)
	mux.HandleFunc("POST /__verify", verifyHook)
}

// tryKey calls the API with the key the script read from the console, the
// way a customer's backend would, and answers the status code.
func (s *devShop) tryKey(w http.ResponseWriter, r *http.Request) {
	var in struct{ Key string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, _ := http.NewRequestWithContext(r.Context(), "GET", s.n.base+"/rest/v1/conversations?limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+in.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	_ = resp.Body.Close()
	_, _ = fmt.Fprint(w, resp.StatusCode)
}

func (s *devShop) invalidate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	cus := s.users[r.URL.Query().Get("user")]
	s.mu.Unlock()
	body, _ := json.Marshal(map[string]string{"keyId": s.keyID, "keySecret": s.secret, "customerUserId": cus})
	resp, err := http.Post(s.n.base+"/rest/v1/auth/invalidate-token", "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		http.Error(w, fmt.Sprintf("invalidate-token: %d %s", resp.StatusCode, raw), http.StatusBadGateway)
		return
	}
	_, _ = w.Write(raw)
}

// receive is the webhook endpoint: it records each delivery and answers 200.
func (s *devShop) receive(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.hooks = append(s.hooks, shopHook{
		Event: r.Header.Get("X-Helpr-Event"), Signature: r.Header.Get("X-Helpr-Signature"),
		Delivery: r.Header.Get("X-Helpr-Delivery"), Body: string(raw),
	})
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusOK)
}

// awaitHooks waits until n deliveries (default 1) of event arrived and
// answers the last one.
func (s *devShop) awaitHooks(w http.ResponseWriter, r *http.Request) {
	event := r.URL.Query().Get("wait")
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	n = max(n, 1)
	deadline := time.After(30 * time.Second)
	for {
		s.mu.Lock()
		var got []shopHook
		for _, h := range s.hooks {
			if h.Event == event {
				got = append(got, h)
			}
		}
		s.mu.Unlock()
		if len(got) >= n {
			_ = json.NewEncoder(w).Encode(got[len(got)-1])
			return
		}
		select {
		case <-s.arrived:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			http.Error(w, fmt.Sprintf("%d of %d %s deliveries arrived", len(got), n, event), http.StatusGatewayTimeout)
			return
		}
	}
}

// verifyHook checks a delivery's signature independently of the hub's code:
// HMAC-SHA-256 over "<t>.<body>" with the secret the console showed.
func verifyHook(w http.ResponseWriter, r *http.Request) {
	var in struct{ Secret, Signature, Body string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(in.Signature, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	mac := hmac.New(sha256.New, []byte(in.Secret))
	mac.Write([]byte(ts + "." + in.Body))
	want := mac.Sum(nil)
	for _, s := range sigs {
		if got, err := hex.DecodeString(s); err == nil && hmac.Equal(got, want) {
			_, _ = fmt.Fprint(w, "ok")
			return
		}
	}
	_, _ = fmt.Fprint(w, "mismatch")
}

// TestBrowserDevPlatform drives the developer platform in real headless
// Chromium (widget/test/scenarios/devplatform.mjs): an owner makes a secret
// key in the console and sees it once (not after a reload), the key works
// from Go, then is revoked in the console and gets 401; a customer's site
// identifies its user to the widget with a chat token its own token
// endpoint mints with a secret key, and a second browser context shows that
// user's earlier conversation; webhooks are added, tested (the signature
// verified here), redelivered, rotated, disabled and re-enabled in the
// console; the user is listed under Visitors; the new pages fit 390 px; an
// agent sees neither the API keys nor the Webhooks page.
func TestBrowserDevPlatform(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	browserSuite(t, "devplatform")
	nodeBin, widgetDir, missing := browserDeps(t)
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser test needs %s", missing)
		}
		t.Skipf("browser test needs %s", missing)
	}
	shopLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	shopURL := "http://" + shopLn.Addr().String()
	var hub string
	n := startNode(t, t.TempDir(), "127.0.0.1:0", func(c *Config) {
		_, port, _ := net.SplitHostPort(c.Addr)
		hub = "http://localhost:" + port
		c.PublicURL = hub
		c.Limits.VisitorSessionsPerIP = "1000/1m"
		devPlatformConfig(c)
	})
	tn := n.registerTenant("Acme Dev", devOwnerEmail, shopURL)
	// An agent (not a manager): the API keys and Webhooks pages are hidden.
	if code := n.call("POST", "/rest/v1/agents", tn.owner.AccessToken, map[string]any{
		"name": "Abe Agent", "email": devAgentEmail, "role": "agent", "password": devAgentPassword,
	}, nil); code != http.StatusCreated {
		t.Fatalf("create agent: status %d", code)
	}
	// The shop's own secret key, for its token endpoint.
	var key struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if code := n.call("POST", "/rest/v1/api-keys", tn.owner.AccessToken, map[string]any{
		"name": "shop token endpoint", "scopes": []string{"visitors:read"},
	}, &key); code != http.StatusCreated {
		t.Fatalf("create the shop's key: status %d", code)
	}
	shop := &devShop{t: t, n: n, keyID: key.ID, secret: key.Key, users: map[string]string{}, arrived: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	shop.register(mux, hub, tn.widgetKey)
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = shopLn
	srv.Start()
	t.Cleanup(srv.Close)

	artifacts := browserArtifacts(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute) // a deadlock guard only
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, filepath.Join(widgetDir, "test", "browser.mjs"))
	cmd.Dir = widgetDir
	cmd.Env = append(os.Environ(),
		"HELPR_BROWSER_SUITE=devplatform",
		"HELPR_HUB_URL="+hub,
		"HELPR_HOST_URL="+shopURL+"/",
		"HELPR_HOOK_URL="+shopURL+"/hook",
		"HELPR_DEMO_KEY="+tn.widgetKey,
		"HELPR_AGENT_EMAIL="+devOwnerEmail,
		"HELPR_AGENT_PASSWORD=correct horse battery",
		"HELPR_AGENT2_EMAIL="+devAgentEmail,
		"HELPR_AGENT2_PASSWORD="+devAgentPassword,
		"HELPR_ARTIFACTS="+artifacts,
		"HELPR_CHROMIUM="+chromiumPath,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("browser.mjs devplatform suite (screenshots in %s):\n%s", artifacts, out)
	if err != nil {
		t.Fatalf("browser test failed: %v\n%s", err, tail(n.logs.String(), 40))
	}
	if os.Getenv("HELPR_BROWSER_ONLY") != "" {
		return
	}
	for _, f := range devPlatformScreenshots {
		if _, err := os.Stat(filepath.Join(artifacts, f)); err != nil {
			t.Errorf("screenshot %s missing: %v", f, err)
		}
	}
}

// devPlatformScreenshots are the screens the devplatform suite must leave.
var devPlatformScreenshots = []string{
	"dev-apikeys-empty.png", "dev-apikey-once.png", "dev-apikeys.png", "dev-apikey-rotate.png",
	"dev-apikey-revoke-confirm.png", "dev-apikeys-revoked.png", "dev-identified-device1.png",
	"dev-identified-device2.png", "dev-visitors.png", "dev-webhook-form.png", "dev-webhook-secret.png",
	"dev-webhook-deliveries.png", "dev-webhook-disabled.png",
	"dev-390-apikeys.png", "dev-390-webhooks.png", "dev-390-visitors.png", "dev-390-once.png",
	"dev-agent-nav.png",
}

// devPlatformConfig lets the hub deliver webhooks to the test's receiver
// on 127.0.0.1 (refused by default: a private address).
func devPlatformConfig(c *Config) {
	c.WebhookAllowHosts = []string{"127.0.0.1"}
}
