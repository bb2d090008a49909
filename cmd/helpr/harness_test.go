package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/client"
)

// node is a real helpr server in this process: a real listener, the real
// handler stack and a real SQLite file under the test's data directory.
type node struct {
	t      *testing.T
	app    *app
	base   string
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
}

// startNode runs helpr on addr ("127.0.0.1:0" for a new port) over dataDir.
func startNode(t *testing.T, dataDir, addr string, tweak ...func(*Config)) *node {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	// Test nodes run with --load-test-agent-passwords: the suites create
	// their agents with POST /agents (a tweak can turn it off).
	cfg := Config{Addr: ln.Addr().String(), DataDir: dataDir, ShutdownTimeout: 10 * time.Second,
		LoadTestAgentPasswords: true}
	for _, f := range tweak {
		f(&cfg)
	}
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &syncBuffer{}
	log := zerolog.New(logs).Level(zerolog.DebugLevel)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("new app: %v", err)
	}
	n := &node{t: t, app: a, base: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { n.done <- a.serve(ctx, ln) }()
	t.Cleanup(func() { n.stop() })
	return n
}

// stop shuts the node down gracefully and closes its store (idempotent).
func (n *node) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	n.cancel = nil
	select {
	case err := <-n.done:
		if err != nil {
			n.t.Errorf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		n.t.Errorf("node did not stop")
	}
	if err := n.app.close(); err != nil {
		n.t.Errorf("close store: %v", err)
	}
}

// addr returns the host:port the node listens on.
func (n *node) addr() string { return strings.TrimPrefix(n.base, "http://") }

// call sends a JSON request and decodes the JSON answer into out (if any).
func (n *node) call(method, path, token string, body any, out any, header ...string) int {
	n.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			n.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.base+path, rd)
	if err != nil {
		n.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			n.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// tokens is a login or refresh answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// tenant is a registered organisation with a logged-in owner and a widget.
type tenant struct {
	orgID, ownerID string
	owner          tokens
	widgetKey      string
	origin         string
}

// registerTenant registers an organisation, logs its owner in and creates a
// widget allowed on origin.
func (n *node) registerTenant(name, email, origin string) tenant {
	n.t.Helper()
	var reg struct {
		Organization struct{ ID string } `json:"organization"`
		Agent        struct{ ID string } `json:"agent"`
	}
	if code := n.call("POST", "/rest/v1/auth/register", "", map[string]string{
		"org_name": name, "name": "Owner of " + name, "email": email, "password": "correct horse battery",
	}, &reg); code != http.StatusCreated {
		n.t.Fatalf("register %s: status %d", email, code)
	}
	tn := tenant{orgID: reg.Organization.ID, ownerID: reg.Agent.ID, origin: origin}
	tn.owner = n.login(email, "correct horse battery")
	var w struct {
		PublishableKey string `json:"publishable_key"`
	}
	if code := n.call("POST", "/rest/v1/widgets", tn.owner.AccessToken, map[string]any{
		"name": "site", "allowed_origins": []string{origin},
	}, &w); code != http.StatusCreated {
		n.t.Fatalf("create widget: status %d", code)
	}
	tn.widgetKey = w.PublishableKey
	return tn
}

// login logs an agent in.
func (n *node) login(email, password string) tokens {
	n.t.Helper()
	var tk tokens
	if code := n.call("POST", "/rest/v1/auth/login", "", map[string]any{"email": email, "password": password}, &tk); code != http.StatusOK {
		n.t.Fatalf("login %s: status %d", email, code)
	}
	return tk
}

// visitor starts a visitor session through the tenant's widget.
func (n *node) visitor(tn tenant, name string) string {
	n.t.Helper()
	var vs struct {
		Token string `json:"token"`
	}
	if code := n.call("POST", "/rest/v1/visitor/sessions", "", map[string]any{
		"publishable_key": tn.widgetKey, "name": name,
	}, &vs, "Origin", tn.origin); code != http.StatusCreated {
		n.t.Fatalf("visitor session: status %d", code)
	}
	return vs.Token
}

// dial connects a client and waits for its ready frame.
func (n *node) dial(ctx context.Context, o client.Options) *client.Conn {
	n.t.Helper()
	c, _, err := client.Dial(ctx, n.base, o)
	if err != nil {
		n.t.Fatalf("dial: %v", err)
	}
	n.t.Cleanup(func() { _ = c.CloseNow() })
	if _, err := c.Await(ctx, client.OfType("ready")); err != nil {
		n.t.Fatalf("await ready: %v", err)
	}
	return c
}

// syncBuffer is a goroutine-safe log sink that tests can search.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testCtx returns a context that bounds a test's waiting (a deadlock guard,
// not a speed assertion).
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
