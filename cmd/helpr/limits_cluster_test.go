package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/transport/wire"
)

// limitsNode starts a node of a two-node cluster (one data directory, one
// Redis, one clock) with small abuse limits.
func limitsNode(t *testing.T, dir string, rds *testsvc.RedisServer, clk *testClock) *node {
	return startNode(t, dir, "127.0.0.1:0", withClock(clk), func(c *Config) {
		c.RedisURL = rds.URL()
		c.Limits = AbuseLimits{VisitorSessionsPerIP: "3/1m", ConversationsPerVisitor: "2/1h"}
	})
}

// sessionStatus posts a visitor session and returns the status and
// Retry-After.
func sessionStatus(t *testing.T, n *node, tn tenant) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", n.base+"/rest/v1/visitor/sessions",
		strings.NewReader(`{"publishable_key":"`+tn.widgetKey+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json") // no Origin: a server-side client
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// startReply sends conversation.start and returns the answer.
func startReply(ctx context.Context, t *testing.T, c *client.Conn, ref string) client.Frame {
	t.Helper()
	if err := c.Send(ctx, wire.TypeConversationStart, ref, nil); err != nil {
		t.Fatal(err)
	}
	f, err := c.Await(ctx, client.Reply(ref))
	if err != nil {
		t.Fatalf("await %s: %v", ref, err)
	}
	return f
}

// Two real nodes share the visitor-session and conversation windows in
// Redis (the request over the limit is refused on the other node), and
// fall back to their own windows while Redis is down.
func TestAbuseLimitsSharedAcrossNodesAndFallBack(t *testing.T) {
	ctx := testCtx(t)
	rds := testsvc.NewRedis(t)
	dir, clk := t.TempDir(), newTestClock()
	n1 := limitsNode(t, dir, rds, clk)
	n2 := limitsNode(t, dir, rds, clk)
	tn := n1.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")

	vtok := n1.visitor(tn, "Vera") // the widget's Origin
	if code, _ := sessionStatus(t, n2, tn); code != http.StatusCreated {
		t.Fatalf("2nd session: %d", code)
	}
	if code, _ := sessionStatus(t, n1, tn); code != http.StatusCreated {
		t.Fatalf("3rd session: %d", code)
	}
	if code, retry := sessionStatus(t, n2, tn); code != http.StatusTooManyRequests || retry != "60" {
		t.Fatalf("4th session on the other node: %d, Retry-After %q; want 429, 60", code, retry)
	}

	opts := client.Options{Token: vtok, WidgetKey: tn.widgetKey, Origin: tn.origin}
	c1 := n1.dial(ctx, opts)
	if f := startReply(ctx, t, c1, "s1"); f.Type != wire.TypeConversation {
		t.Fatalf("1st start: %s", f.Type)
	}
	c2 := n2.dial(ctx, opts)
	if f := startReply(ctx, t, c2, "s2"); f.Type != wire.TypeConversation {
		t.Fatalf("2nd start: %s", f.Type)
	}
	var refusal wire.Error
	if f := startReply(ctx, t, c2, "s3"); f.Type != wire.TypeError || f.Decode(&refusal) != nil ||
		refusal.Code != string(wire.CodeRateLimited) || refusal.RetryAfter != 3600 {
		t.Fatalf("3rd start: %s %+v; want rate_limited, retry_after 3600", f.Type, refusal)
	}
	metrics := metricsText(t, n2)
	for _, want := range []string{`helpr_rate_limited_total{limit="visitor_session_ip"} 1`,
		`helpr_rate_limited_total{limit="conversation_visitor"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("node 2 metrics lack %s:\n%s", want, metrics)
		}
	}

	// Redis down: node 1 counts on its own (a fresh window), and says so.
	rds.Stop()
	clk.Advance(time.Minute)
	for i := range 3 {
		if code, _ := sessionStatus(t, n1, tn); code != http.StatusCreated {
			t.Fatalf("session %d while Redis is down: %d", i+1, code)
		}
	}
	if code, _ := sessionStatus(t, n1, tn); code != http.StatusTooManyRequests {
		t.Fatalf("4th session while Redis is down: %d, want 429", code)
	}
	// The visitor, over its shared limit, can start again on node 1's own
	// window: chat keeps working, still limited.
	for i, want := range []string{wire.TypeConversation, wire.TypeConversation, wire.TypeError} {
		if f := startReply(ctx, t, c1, fmt.Sprintf("down%d", i)); f.Type != want {
			t.Fatalf("start %d while Redis is down: %s, want %s", i+1, f.Type, want)
		}
	}
	if got := strings.Count(n1.logs.String(), "shared rate limit unavailable: counting on this node only"); got != 3 {
		t.Fatalf("%d fallback warnings, want one per limit (3):\n%s", got, notable(n1.logs.String()))
	}
}
