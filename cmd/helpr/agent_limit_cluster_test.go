package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

// Two real nodes share an organisation's agent-creation window in Redis:
// the creation over --agent-creations-per-org is refused on the other node,
// while another organisation keeps its own window (issue 10, item 6).
func TestAgentCreationLimitSharedAcrossNodes(t *testing.T) {
	rds := testsvc.NewRedis(t)
	dir, clk := t.TempDir(), newTestClock()
	start := func() *node {
		return startNode(t, dir, "127.0.0.1:0", withClock(clk), func(c *Config) {
			c.RedisURL = rds.URL()
			c.Limits = AbuseLimits{AgentCreationsPerOrg: "2/1h"}
		})
	}
	n1, n2 := start(), start()
	acme := n1.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	beta := n2.registerTenant("Beta", "owner@beta.test", "https://shop.beta.test")
	create := func(n *node, tn tenant, email string) int {
		return n.call("POST", "/rest/v1/agents", tn.owner.AccessToken, map[string]any{
			"name": "Agent", "email": email, "role": "agent", "password": "a long enough password",
		}, nil)
	}
	for i, n := range []*node{n1, n2} {
		if code := create(n, acme, fmt.Sprintf("a%d@acme.test", i)); code != http.StatusCreated {
			t.Fatalf("creation %d: %d", i+1, code)
		}
	}
	if code := create(n1, acme, "a3@acme.test"); code != http.StatusTooManyRequests {
		t.Fatalf("3rd creation (the other node): %d, want 429", code)
	}
	if code := create(n1, beta, "owner@acme.test"); code != http.StatusCreated {
		t.Fatalf("another organisation, with the first's owner email: %d, want 201", code)
	}
	if m := metricsText(t, n1); !strings.Contains(m, `helpr_rate_limited_total{limit="agent_create"} 1`) {
		t.Fatalf("node 1 metrics lack the refusal:\n%s", m)
	}
}
