package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// agentsOnline asks the public widget config endpoint.
func (n *node) agentsOnline(key string) bool {
	n.t.Helper()
	var cfg struct {
		AgentsOnline *bool `json:"agents_online"`
	}
	if code := n.call("GET", "/rest/v1/widget/config?key="+key, "", nil, &cfg); code != http.StatusOK || cfg.AgentsOnline == nil {
		n.t.Fatalf("widget config: status %d, %+v", code, cfg)
	}
	return *cfg.AgentsOnline
}

// awaitOnline polls the config endpoint until agents_online is want; the
// deadline only guards against a hang.
func (n *node) awaitOnline(ctx context.Context, key string, want bool) {
	n.t.Helper()
	for n.agentsOnline(key) != want {
		select {
		case <-ctx.Done():
			n.t.Fatalf("agents_online never became %v", want)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestWidgetConfigFollowsAgentPresence: the widget config's agents_online
// is the hub's presence of the widget's organisation: false with no agent
// connected, true while an agent is online, false when it is away or gone,
// and never another organisation's.
func TestWidgetConfigFollowsAgentPresence(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	acme := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	beta := n.registerTenant("Beta", "owner@beta.test", "https://shop.beta.test")
	if n.agentsOnline(acme.widgetKey) {
		t.Fatal("agents online before any agent connected")
	}
	agent := n.dial(ctx, client.Options{Token: acme.owner.AccessToken})
	n.awaitOnline(ctx, acme.widgetKey, true)
	if n.agentsOnline(beta.widgetKey) {
		t.Fatal("another organisation's agent counts as online")
	}
	if err := agent.Send(ctx, wire.TypePresenceSet, "away", wire.PresenceSet{Status: wire.StatusAway}); err != nil {
		t.Fatal(err)
	}
	n.awaitOnline(ctx, acme.widgetKey, false)
	if err := agent.Send(ctx, wire.TypePresenceSet, "back", wire.PresenceSet{Status: wire.StatusOnline}); err != nil {
		t.Fatal(err)
	}
	n.awaitOnline(ctx, acme.widgetKey, true)
	if err := agent.Close(); err != nil {
		t.Fatal(err)
	}
	n.awaitOnline(ctx, acme.widgetKey, false)
}
