package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
	"github.com/helpr-chat/helpr/transport/ws"
)

// The wiring end to end on one node: --dev serves /auth/dev-token (404
// without it), its token opens a widget socket through the auth frame, and
// when the token's exp passes the socket closes with token expired.
func TestDevChatTokenOpensASocketUntilItExpires(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	plain := startNode(t, t.TempDir(), "127.0.0.1:0")
	body := map[string]any{"publishable_key": "pk_test_x", "user": map[string]any{"id": "u"}}
	if code := plain.call("POST", "/rest/v1/auth/dev-token", "", body, nil); code != http.StatusNotFound {
		t.Fatalf("dev-token without --dev: %d, want 404", code)
	}

	clk := newTestClock()
	n := startNode(t, t.TempDir(), "127.0.0.1:0", withClock(clk), func(c *Config) {
		c.Dev = true
		c.wsTweak = func(w *ws.Config) { w.RevalidateInterval = 50 * time.Millisecond }
	})
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	var out struct {
		Token   string `json:"token"`
		Dev     bool   `json:"dev"`
		Warning string `json:"warning"`
	}
	body = map[string]any{"publishable_key": tn.widgetKey, "user": map[string]any{"id": "u"}, "expiresIn": "15m"}
	if code := n.call("POST", "/rest/v1/auth/dev-token", "", body, &out); code != http.StatusOK || !out.Dev || out.Warning == "" {
		t.Fatalf("dev-token with --dev: %d %+v", code, out)
	}
	c := n.dial(ctx, client.Options{Token: out.Token, AuthFrame: true, WidgetKey: tn.widgetKey, Origin: tn.origin})
	clk.Advance(15 * time.Minute)
	wait, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if code := closeCode(wait, c); code != int(wire.CloseTokenExpired) {
		t.Fatalf("socket at the token's exp closed with %d, want %d", code, wire.CloseTokenExpired)
	}
}
