package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
	"github.com/helpr-chat/helpr/widget"
)

// chromiumPath is Debian's chromium, the only browser the tests drive.
const chromiumPath = "/usr/bin/chromium"

// hostPage is a customer's page on another site than the hub: it embeds the
// widget with the snippet the console shows and has its own working button.
// Its inline script is the host's own, not helpr's.
var hostPage = template.Must(template.New("host").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host shop</title></head>
<body>
<h1>Host shop</h1>
<label>Card number <input id="host-card" value="4111 1111 1111 1111"></label>
<button id="host-button" type="button">Buy</button>
<p id="host-output"></p>
<script>
document.getElementById("host-button").addEventListener("click", function () {
  document.getElementById("host-output").textContent = "clicked";
});
</script>
<script src="{{.Hub}}/widget.js" data-key="{{.Key}}" async></script>
</body></html>`))

// browserDeps returns what the browser test needs, or why it cannot run:
// Debian's chromium, node, playwright-core in widget/node_modules and the
// built widget and console.
func browserDeps(t *testing.T) (node, widgetDir string, missing string) {
	t.Helper()
	widgetDir, err := filepath.Abs(filepath.Join("..", "..", "widget"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		return "", "", chromiumPath + " (run scripts/browser-deps.sh)"
	}
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", "node (run scripts/browser-deps.sh)"
	}
	if _, err := os.Stat(filepath.Join(widgetDir, "node_modules", "playwright-core")); err != nil {
		return "", "", "widget/node_modules/playwright-core (run scripts/browser-deps.sh)"
	}
	for _, f := range []string{"widget.js", "frame.html", "frame.js", "console.html", "console.js"} {
		if _, err := fs.Stat(widget.Assets(), f); err != nil {
			return "", "", "widget/dist/" + f + " (run make widget)"
		}
	}
	return node, widgetDir, ""
}

// TestBrowser chats from the widget on a host page of another site
// (127.0.0.1) with an agent in the console of the hub (localhost), in real
// headless Chromium; see widget/test/browser.mjs for the scenarios. The hub
// has a second agent (agent2Email) and the host site lets the script play
// visitors over the protocol (browser_visitors_test.go); a second hub runs
// with no --public-url, opened as http://localhost:PORT (startLocalHub).
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	browserSuite(t, "main")
	nodeBin, widgetDir, missing := browserDeps(t)
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser test needs %s", missing)
		}
		t.Skipf("browser test needs %s", missing)
	}
	// Browsers reach the hub through a proxy the script can cut, like a lost
	// network; the Go side (and the agent's offline sends) reach it directly.
	proxyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := proxyLn.Addr().String()
	_ = proxyLn.Close()
	_, proxyPort, _ := net.SplitHostPort(proxyAddr)
	hub := "http://localhost:" + proxyPort
	n := startNode(t, t.TempDir(), "127.0.0.1:0", func(c *Config) {
		c.PublicURL = hub
		// Every visitor of the scenarios comes from 127.0.0.1: the default
		// 20 sessions a minute per IP would refuse some (the limit itself is
		// tested in transport/api and cmd/helpr).
		c.Limits.VisitorSessionsPerIP = "1000/1m"
	})
	proxy := startCutProxy(t, proxyAddr, n.addr())

	hostLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hostURL := "http://" + hostLn.Addr().String()
	tn := n.registerTenant("Acme", "owner@acme.test", hostURL)
	var demo struct {
		PublishableKey string `json:"publishable_key"`
	}
	if code := n.call("POST", "/rest/v1/widgets", tn.owner.AccessToken, map[string]any{
		"name": "demo", "allowed_origins": []string{hub},
	}, &demo); code != http.StatusCreated {
		t.Fatalf("create demo widget: status %d", code)
	}
	// A second agent, for the per-agent read marks.
	if code := n.call("POST", "/rest/v1/agents", tn.owner.AccessToken, map[string]any{
		"name": "Bob Second", "email": agent2Email, "role": "agent", "password": agent2Password,
	}, nil); code != http.StatusCreated {
		t.Fatalf("create second agent: status %d", code)
	}
	registerMultiOrg(t, n)
	local := startLocalHub(t)
	visitors := newVisitorPool(n, tn)
	t.Cleanup(visitors.close)
	mux := http.NewServeMux()
	visitors.register(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = hostPage.Execute(w, struct{ Hub, Key string }{hub, tn.widgetKey})
	})
	// Test controls for the script (on the host site, never on the hub).
	mux.HandleFunc("POST /__net", func(w http.ResponseWriter, r *http.Request) {
		closed := proxy.setCut(r.URL.Query().Get("cut") == "1")
		_, _ = fmt.Fprint(w, closed)
	})
	mux.HandleFunc("POST /__agent-say", func(w http.ResponseWriter, r *http.Request) {
		if err := agentSay(r.Context(), n, tn, r.URL.Query().Get("text")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	host := httptest.NewUnstartedServer(mux)
	host.Listener.Close()
	host.Listener = hostLn
	host.Start()
	t.Cleanup(host.Close)

	artifacts := os.Getenv("HELPR_BROWSER_ARTIFACTS")
	if artifacts == "" { // kept after the run (git-ignored), for people and CI to look at
		artifacts = filepath.Join(widgetDir, "test", "artifacts")
	}
	if abs, err := filepath.Abs(artifacts); err == nil {
		artifacts = abs // the script runs in another directory
	}
	for _, f := range screenshots {
		_ = os.Remove(filepath.Join(artifacts, f))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute) // a deadlock guard only
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, filepath.Join(widgetDir, "test", "browser.mjs"))
	cmd.Dir = widgetDir
	cmd.Env = append(os.Environ(),
		"HELPR_HUB_URL="+hub,
		"HELPR_HOST_URL="+hostURL+"/",
		"HELPR_AGENT_EMAIL=owner@acme.test",
		"HELPR_AGENT_PASSWORD=correct horse battery",
		"HELPR_ARTIFACTS="+artifacts,
		"HELPR_DEMO_KEY="+demo.PublishableKey,
		"HELPR_CHROMIUM="+chromiumPath,
		"HELPR_AGENT2_EMAIL="+agent2Email,
		"HELPR_AGENT2_PASSWORD="+agent2Password,
		"HELPR_LOCAL_HUB_URL="+local.url,
		"HELPR_LOCAL_EMAIL="+local.email,
		"HELPR_MULTI_EMAIL="+multiEmail,
		"HELPR_MULTI_ORGS="+strings.Join(multiOrgs, ","),
	)
	out, err := cmd.CombinedOutput()
	t.Logf("browser.mjs (screenshots in %s):\n%s", artifacts, out)
	if err != nil {
		t.Fatalf("browser test failed: %v\n%s", err, tail(n.logs.String(), 40))
	}
	if os.Getenv("HELPR_BROWSER_ONLY") != "" {
		return // a subset takes only some of the screenshots
	}
	for _, f := range screenshots {
		if _, err := os.Stat(filepath.Join(artifacts, f)); err != nil {
			t.Errorf("screenshot %s missing: %v", f, err)
		}
	}
}

// screenshots are the artifacts every full run must leave (removed before
// the run, so that an old one cannot stand in for a missing one).
var screenshots = []string{"visitor-reply.png", "console-conversation.png", "hub-down.png", "demo.png",
	"console-inbox-live.png", "console-team-errors.png", "console-390.png", "console-390-conversation.png",
	"widget-375.png", "widget-375-chat.png", "widget-1100-chat.png", "widget-online-hint.png", "widget-too-long.png",
	"widget-closed.png", "console-org-chooser.png"}

// The second agent of the browser test's organisation.
const (
	agent2Email    = "bob@acme.test"
	agent2Password = "another long password"
)

// An email that owns two organisations of the browser test's hub (with the
// owner's password), for the console's organisation chooser; the names in
// the order of registration, which is the chooser's.
const multiEmail = "multi@shops.test"

var multiOrgs = []string{"Beta Shop", "Gamma Studio"}

// registerMultiOrg registers multiOrgs, each owned by multiEmail with the
// same password, so that signing in as multiEmail asks which organisation.
func registerMultiOrg(t *testing.T, n *node) {
	t.Helper()
	for _, name := range multiOrgs {
		if code := n.call("POST", "/rest/v1/auth/register", "", map[string]string{
			"org_name": name, "name": "Owner of " + name, "email": multiEmail, "password": "correct horse battery",
		}, nil); code != http.StatusCreated {
			t.Fatalf("register %s: status %d", name, code)
		}
	}
}

// localHub is a hub started the way the README starts one: no --public-url.
type localHub struct {
	url, email string
}

// startLocalHub starts a second node with no PublicURL, registers an
// organisation there and leaves one visitor waiting in its queue, so the
// console opened at http://localhost:PORT (not the 127.0.0.1 it listens on)
// can sign in, connect and reply.
func startLocalHub(t *testing.T) localHub {
	t.Helper()
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(n.addr())
	url := "http://localhost:" + port
	tn := n.registerTenant("Local", "local@acme.test", url)
	ctx := testCtx(t)
	p := newVisitorPool(n, tn)
	t.Cleanup(p.close)
	if _, err := p.start(ctx, "Lola Local", "Hello from a hub without --public-url"); err != nil {
		t.Fatalf("local hub visitor: %v", err)
	}
	return localHub{url: url, email: "local@acme.test"}
}

// agentSay sends text as the tenant's owner, straight to the hub (not
// through the cut proxy), in the newest open conversation.
func agentSay(ctx context.Context, n *node, tn tenant, text string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", n.base+"/rest/v1/conversations?status=open&limit=1", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tn.owner.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("list conversations: %w", err)
	}
	defer resp.Body.Close()
	var list struct {
		Conversations []struct{ ID string } `json:"conversations"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Conversations) == 0 {
		return fmt.Errorf("list conversations: status %d, %d found, %v", resp.StatusCode, len(list.Conversations), err)
	}
	conv := list.Conversations[0].ID
	c, _, err := client.Dial(ctx, n.base, client.Options{Token: tn.owner.AccessToken})
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer c.CloseNow()
	steps := []struct {
		typ, ref string
		data     any
		want     string
	}{
		{wire.TypeConversationJoin, "join", wire.ConversationJoin{ConversationID: conv}, wire.TypeJoined},
		{wire.TypeMessageSend, "say", wire.MessageSend{ConversationID: conv, ClientID: fmt.Sprintf("say-%d", time.Now().UnixNano()), Text: text}, wire.TypeAck},
	}
	for _, s := range steps {
		if err := c.Send(ctx, s.typ, s.ref, s.data); err != nil {
			return fmt.Errorf("%s: %w", s.typ, err)
		}
		f, err := c.Await(ctx, client.Reply(s.ref))
		if err != nil {
			return fmt.Errorf("%s: %w", s.typ, err)
		}
		if f.Type != s.want {
			return fmt.Errorf("%s: got %s %s", s.typ, f.Type, f.Data)
		}
	}
	return nil
}

// tail returns the last n lines of s, for failure output.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprintf("last %d server log lines:\n%s", len(lines), strings.Join(lines, "\n"))
}
