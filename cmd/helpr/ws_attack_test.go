package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
	"github.com/helpr-chat/helpr/transport/ws"
)

// A page on another site cannot open a socket with the user's credentials:
// the Origin is checked against an exact allowlist before any upgrade.
func TestCrossSiteOriginsRefusedBeforeUpgrade(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	other := n.registerTenant("Other", "owner@other.test", "https://other.test")
	cookie := http.Header{"Cookie": {"helpr_access=" + tn.owner.AccessToken}}
	cases := []struct {
		name string
		o    client.Options
	}{
		{"agent cookie from evil origin", client.Options{Origin: "https://evil.test", Header: cookie}},
		{"agent token from evil origin", client.Options{Origin: "https://evil.test", Token: tn.owner.AccessToken}},
		{"origin that only prefixes the public one", client.Options{Origin: n.base + ".evil.test", Header: cookie}},
		{"widget key with an origin it does not allow", client.Options{Origin: "https://evil.test", WidgetKey: tn.widgetKey}},
		{"widget key with another tenant's origin", client.Options{Origin: other.origin, WidgetKey: tn.widgetKey}},
		{"unknown widget key", client.Options{Origin: tn.origin, WidgetKey: "pk_unknown"}},
	}
	for _, c := range cases {
		conn, resp, err := client.Dial(ctx, n.base, c.o)
		if err == nil {
			_ = conn.CloseNow()
			t.Errorf("%s: upgraded", c.name)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %v, want 403 before upgrade", c.name, err)
		}
	}

	// A visitor token is accepted from its widget's origin; an agent token is not.
	vtok := n.visitor(tn, "V")
	n.dial(ctx, client.Options{Origin: tn.origin, WidgetKey: tn.widgetKey, Token: vtok})
	conn, _, err := client.Dial(ctx, n.base, client.Options{Origin: tn.origin, WidgetKey: tn.widgetKey, Token: tn.owner.AccessToken, AuthFrame: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Next(ctx); client.CloseStatus(err) != int(wire.CloseForbiddenOrigin) {
		t.Fatalf("agent via widget origin: %v, want close %d", err, wire.CloseForbiddenOrigin)
	}
	// The server's own origin may use the cookie.
	n.dial(ctx, client.Options{Origin: n.base, Header: cookie})
}

// Clients without an Origin header are not browsers: a cookie is never
// enough for them; they must send a token.
func TestNonBrowserClientsCannotUseCookies(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	conn, _, err := client.Dial(ctx, n.base, client.Options{Header: http.Header{"Cookie": {"helpr_access=" + tn.owner.AccessToken}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Send(ctx, wire.TypePing, "p", nil)
	if _, err := conn.Next(ctx); client.CloseStatus(err) != int(wire.CloseUnauthorized) {
		t.Fatalf("cookie-only non-browser: %v, want close %d", err, wire.CloseUnauthorized)
	}
	// And a bad token at upgrade never gets a socket.
	if _, resp, err := client.Dial(ctx, n.base, client.Options{Token: "hla_forged"}); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged token at upgrade: %v", err)
	}
}

// Oversized, malformed, unknown and invalid frames get documented errors;
// a run of bad frames ends the connection.
func TestBadFramesGetDocumentedErrors(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	sock := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	cases := []struct {
		raw  string
		code wire.ErrorCode
	}{
		{`{"type":"message.send",`, wire.CodeBadFrame},
		{`[1,2,3]`, wire.CodeBadFrame},
		{`{"type":"teleport","ref":"x"}`, wire.CodeUnknownType},
		{`{"type":"message.send","ref":"v","data":{"conversation_id":"c","client_id":"","text":"hi"}}`, wire.CodeValidationFailed},
		{`{"type":"message.send","ref":"w","data":{"conversation_id":"c","client_id":"k","text":"hi","admin":true}}`, wire.CodeValidationFailed},
	}
	for _, c := range cases {
		if err := sock.SendRaw(ctx, []byte(c.raw)); err != nil {
			t.Fatal(err)
		}
		f, err := sock.Await(ctx, client.OfType(wire.TypeError))
		if err != nil {
			t.Fatalf("%s: %v", c.raw, err)
		}
		var e wire.Error
		_ = f.Decode(&e)
		if e.Code != string(c.code) || e.Message == "" {
			t.Errorf("%s: error %+v, want code %s", c.raw, e, c.code)
		}
	}
	// A well-formed frame resets the count; then more than ten bad ones close.
	_ = sock.Send(ctx, wire.TypePing, "ok", nil)
	if _, err := sock.Await(ctx, client.Reply("ok")); err != nil {
		t.Fatal(err)
	}
	var err error
	for i := 0; i <= 11 && err == nil; i++ {
		err = sock.SendRaw(ctx, []byte("not json"))
	}
	if _, err := sock.Await(ctx, func(client.Frame) bool { return false }); client.CloseStatus(err) != int(wire.CloseProtocolViolation) {
		t.Fatalf("after a run of bad frames: %v, want close %d", err, wire.CloseProtocolViolation)
	}

	// Over 32 KiB: closed with 1009.
	big := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	huge := fmt.Sprintf(`{"type":"ping","ref":"%s"}`, strings.Repeat("a", wire.MaxFrameBytes))
	_ = big.SendRaw(ctx, []byte(huge))
	if _, err := big.Next(ctx); client.CloseStatus(err) != int(wire.CloseMessageTooBig) {
		t.Fatalf("oversized frame: %v, want close %d", err, wire.CloseMessageTooBig)
	}
}

// A client that stops reading is disconnected as a slow consumer while the
// other members of the room keep receiving every message in order.
func TestSlowConsumerIsDroppedOthersKeepReceiving(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0", func(c *Config) {
		c.FrameRate, c.FrameBurst = 1e6, 1e6
		c.wsTweak = func(w *ws.Config) {
			w.SendQueueBytes = 64 << 10
			w.WriteTimeout = time.Second
		}
	})
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	vis := n.dial(ctx, client.Options{Token: n.visitor(tn, "V"), WidgetKey: tn.widgetKey})
	if err := vis.Send(ctx, wire.TypeConversationStart, "s", nil); err != nil {
		t.Fatal(err)
	}
	f, _ := vis.Await(ctx, client.Reply("s"))
	var conv wire.Conversation
	_ = f.Decode(&conv)

	reader := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	join(ctx, t, reader, conv.ID, 0)
	stalled := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	join(ctx, t, stalled, conv.ID, 0) // …and never reads again

	received := make(chan int64, 1)
	go func() { // the healthy member reads everything
		var last int64
		for {
			f, err := reader.Next(ctx)
			if err != nil {
				return
			}
			if f.Type == wire.TypeMessage {
				var m wire.Message
				_ = f.Decode(&m)
				if m.Seq != last+1 {
					t.Errorf("healthy member got seq %d after %d", m.Seq, last)
				}
				last = m.Seq
				select {
				case <-received:
				default:
				}
				received <- last
			}
		}
	}()
	text := strings.Repeat("x", 4000)
	before := n.app.ws.ConnCount()
	var sent int64
	for sent = 1; sent <= 5000 && n.app.ws.ConnCount() == before; sent++ {
		send(ctx, t, vis, conv.ID, fmt.Sprintf("m%d", sent), text)
	}
	if n.app.ws.ConnCount() != before-1 {
		t.Fatalf("the stalled client was not disconnected after %d messages", sent-1)
	}
	// The room still works for everyone else.
	last := send(ctx, t, vis, conv.ID, "after", "still flowing").Seq
	for got := int64(0); got != last; {
		select {
		case got = <-received:
		case <-ctx.Done():
			t.Fatalf("healthy member stopped receiving at %d of %d", got, last)
		}
	}
	if !strings.Contains(metricsText(t, n), `helpr_rejections_total{reason="slow_consumer"} 1`) {
		t.Errorf("slow consumer not counted in /metrics")
	}
}

// metricsText scrapes the node's metrics the way Prometheus does: on a
// metrics listener of its own (the main listener has no /metrics without
// --metrics-token-file).
func metricsText(t *testing.T, n *node) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer serveMetrics(ln, n.app.metrics, zerolog.Nop())()
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = fmt.Fprint(&b, "")
	buf := make([]byte, 32<<10)
	for {
		k, err := resp.Body.Read(buf)
		b.Write(buf[:k])
		if err != nil {
			break
		}
	}
	return b.String()
}
