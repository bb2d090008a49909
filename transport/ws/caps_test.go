package ws

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/wire"
)

// dialOpts connects with o and waits for ready; it fails the test on a
// refusal.
func (e *limitEnv) dialOpts(o client.Options) *client.Conn {
	e.t.Helper()
	c, resp, err := e.tryDial(o)
	if err != nil {
		e.t.Fatalf("dial: %v (%v)", err, status(resp))
	}
	return c
}

// tryDial connects with o and waits for ready.
func (e *limitEnv) tryDial(o client.Options) (*client.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a deadlock guard
	defer cancel()
	c, resp, err := client.Dial(ctx, e.base, o)
	if err != nil {
		return nil, resp, err
	}
	e.t.Cleanup(func() { _ = c.CloseNow() })
	if _, err := c.Await(ctx, client.OfType(wire.TypeReady)); err != nil {
		return nil, resp, err
	}
	return c, resp, nil
}

func status(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	return resp.Status
}

// mustBeCapped fails unless o is refused before the upgrade with 429
// too_many_connections and Retry-After.
func (e *limitEnv) mustBeCapped(o client.Options) {
	e.t.Helper()
	c, resp, err := e.tryDial(o)
	if err == nil {
		_ = c.CloseNow()
		e.t.Fatal("a connection over the cap was accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "10" {
		e.t.Fatalf("refusal %v (Retry-After %q), want 429 with Retry-After 10: %v", status(resp), resp.Header.Get("Retry-After"), err)
	}
	var body struct{ Error httpx.Error }
	b, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(b, &body) != nil || body.Error.Code != CodeTooManyConnections {
		e.t.Fatalf("refusal body %s, want code %s", b, CodeTooManyConnections)
	}
}

// eventuallyDials retries o until it is admitted: a slot frees when the
// server has seen the close, shortly after the client sent it.
func (e *limitEnv) eventuallyDials(o client.Options) *client.Conn {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, resp, err := e.tryDial(o)
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no slot freed after a close: %v (%v)", err, status(resp))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// One client IP holds at most ConnsPerIP sockets, whatever the subjects;
// the next is refused before the upgrade and counted; a close frees a slot.
func TestConnCapPerIP(t *testing.T) {
	e := newLimitEnv(t, func(c *Config) { c.ConnsPerIP, c.ConnsPerSubject = 3, NoCap })
	agent := client.Options{Token: e.token(storage.SubjectAgent, e.owner)}
	var open []*client.Conn
	for range 3 {
		open = append(open, e.dialOpts(agent))
	}
	e.mustBeCapped(agent)
	e.mustBeCapped(client.Options{Token: e.visitor(), WidgetKey: e.widget.PublishableKey, Origin: shopOrigin})
	if got := e.metrics.Rejections.With(CodeTooManyConnections).Value(); got != 2 {
		t.Fatalf("helpr_rejections_total{reason=%q} = %d, want 2", CodeTooManyConnections, got)
	}
	if err := open[0].Close(); err != nil {
		t.Fatal(err)
	}
	e.eventuallyDials(agent)
	e.mustBeCapped(agent)
	if !e.logsContain("--ws-conns-per-ip") {
		t.Fatalf("no warning naming the flag: %s", e.logs)
	}
}

// One subject holds at most ConnsPerSubject sockets: refused before the
// upgrade when the token comes with it, closed with 4029 when it comes in
// the auth frame. Other subjects are unaffected.
func TestConnCapPerSubject(t *testing.T) {
	e := newLimitEnv(t, func(c *Config) { c.ConnsPerIP, c.ConnsPerSubject = NoCap, 2 })
	tok := e.visitor()
	visitor := client.Options{Token: tok, WidgetKey: e.widget.PublishableKey, Origin: shopOrigin}
	first := e.dialOpts(visitor)
	e.dialOpts(visitor)
	e.mustBeCapped(visitor)

	byFrame := visitor
	byFrame.AuthFrame = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a deadlock guard
	defer cancel()
	c, _, err := client.Dial(ctx, e.base, byFrame)
	if err != nil {
		t.Fatalf("dial without a token at upgrade: %v", err)
	}
	defer c.CloseNow()
	if _, err := c.Next(ctx); client.CloseStatus(err) != int(wire.CloseTooManyConnections) {
		t.Fatalf("auth frame over the cap: %v, want close %d", err, wire.CloseTooManyConnections)
	}

	e.dialOpts(client.Options{Token: e.visitor(), WidgetKey: e.widget.PublishableKey, Origin: shopOrigin})
	e.dialOpts(client.Options{Token: e.token(storage.SubjectAgent, e.owner)})
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	e.eventuallyDials(byFrame)
	e.mustBeCapped(visitor)
}

// Behind a trusted proxy the cap keys by the forwarded client address, and
// the addresses of one IPv6 /64 share one cap.
func TestConnCapPerIPv6Network(t *testing.T) {
	e := newLimitEnv(t, func(c *Config) {
		c.ConnsPerIP, c.ConnsPerSubject = 2, NoCap
		c.ClientIP = httpx.NewClientIPResolver([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})
	})
	tok := e.token(storage.SubjectAgent, e.owner)
	from := func(ip string) client.Options {
		return client.Options{Token: tok, Header: http.Header{"X-Forwarded-For": {ip}}}
	}
	e.dialOpts(from("2001:db8:1:2::1"))
	e.dialOpts(from("2001:db8:1:2:ffff:ffff:ffff:fffe"))
	e.mustBeCapped(from("2001:db8:1:2::3"))
	e.dialOpts(from("2001:db8:1:3::1")) // the next /64
	e.dialOpts(from("192.0.2.1"))
	e.dialOpts(from("192.0.2.2"))
}

// A counter admits max per key, refuses without counting, frees on
// release; with no cap it counts nothing.
func TestCapCounter(t *testing.T) {
	now := func() time.Time { return time.Unix(0, 0) }
	c := newCapCounter(2, "--flag", zerolog.Nop(), now)
	if !c.acquire("a") || !c.acquire("a") || c.acquire("a") || !c.acquire("b") {
		t.Fatal("cap of 2 per key not applied")
	}
	if c.count("a") != 2 {
		t.Fatalf("a refused acquire was counted: %d", c.count("a"))
	}
	c.release("a")
	if !c.acquire("a") {
		t.Fatal("release did not free a slot")
	}
	c.release("b")
	if _, ok := c.open["b"]; ok {
		t.Fatal("a key with no connection is kept")
	}
	off := newCapCounter(NoCap, "--flag", zerolog.Nop(), now)
	for range 1000 {
		if !off.acquire("a") {
			t.Fatal("NoCap refused")
		}
	}
	if off.count("a") != 0 {
		t.Fatal("NoCap counts")
	}
}

func (e *limitEnv) logsContain(s string) bool { return strings.Contains(e.logs.String(), s) }
