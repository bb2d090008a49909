package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// postJSON posts body to the floor and decodes the answer into out.
func postJSON(t *testing.T, url, token string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
}

// await returns the next frame of type typ, failing on an error frame.
func await(ctx context.Context, t *testing.T, c *client.Conn, typ string) client.Frame {
	t.Helper()
	f, err := c.Await(ctx, func(f client.Frame) bool { return f.Type == typ || f.Type == wire.TypeError })
	if err != nil {
		t.Fatalf("await %s: %v", typ, err)
	}
	if f.Type != typ {
		t.Fatalf("await %s: got %s %s", typ, f.Type, f.Data)
	}
	return f
}

func decode[T any](t *testing.T, f client.Frame) T {
	t.Helper()
	var v T
	if err := f.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", f.Type, err)
	}
	return v
}

// TestFloorRelay provisions through the REST stubs the way the harness
// does, then runs a visitor and an agent through start, join, send, ack
// and relay, and checks sequence numbers and routing.
func TestFloorRelay(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	base, stop, err := startFloor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	rest := base + "/rest/v1"

	var reg struct {
		Organization struct{ ID string } `json:"organization"`
		Agent        struct {
			ID    string `json:"id"`
			OrgID string `json:"org_id"`
			Role  string `json:"role"`
		} `json:"agent"`
	}
	postJSON(t, rest+"/auth/register", "", map[string]string{"org_name": "Acme", "name": "Ada",
		"email": "ada@acme.example", "password": "correct horse battery"}, &reg)
	if reg.Agent.OrgID != reg.Organization.ID || reg.Agent.Role != "owner" || !strings.HasPrefix(reg.Agent.ID, "agt_") {
		t.Fatalf("register: %+v", reg)
	}
	var tokens struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
		Expires int    `json:"expires_in"`
	}
	postJSON(t, rest+"/auth/login", "", map[string]string{"email": "ADA@acme.example", "password": "x"}, &tokens)
	if tokens.Access == "" || tokens.Refresh == "" || tokens.Expires != 3600 {
		t.Fatalf("login: %+v", tokens)
	}
	var refreshed struct {
		Access string `json:"access_token"`
	}
	postJSON(t, rest+"/auth/refresh", "", map[string]string{"refresh_token": tokens.Refresh}, &refreshed)
	var widget struct {
		Key string `json:"publishable_key"`
	}
	postJSON(t, rest+"/widgets", refreshed.Access, map[string]any{"name": "Shop", "allowed_origins": []string{}}, &widget)
	var session struct {
		Visitor struct{ ID string } `json:"visitor"`
		Token   string              `json:"token"`
	}
	postJSON(t, rest+"/visitor/sessions", "", map[string]string{"publishable_key": widget.Key}, &session)

	agent, _, err := client.Dial(ctx, base, client.Options{Token: refreshed.Access})
	if err != nil {
		t.Fatal(err)
	}
	defer agent.CloseNow()
	ready := decode[wire.Ready](t, await(ctx, t, agent, wire.TypeReady))
	if ready.Kind != "agent" || ready.SubjectID != reg.Agent.ID || ready.OrgID != reg.Organization.ID {
		t.Fatalf("agent ready %+v, want the registered agent %s of %s", ready, reg.Agent.ID, reg.Organization.ID)
	}

	visitor, _, err := client.Dial(ctx, base, client.Options{Token: session.Token, AuthFrame: true, WidgetKey: widget.Key})
	if err != nil {
		t.Fatal(err)
	}
	defer visitor.CloseNow()
	vready := decode[wire.Ready](t, await(ctx, t, visitor, wire.TypeReady))
	if vready.Kind != "visitor" || vready.SubjectID != session.Visitor.ID || vready.OrgID != reg.Organization.ID {
		t.Fatalf("visitor ready %+v", vready)
	}

	if err := visitor.Send(ctx, wire.TypeConversationStart, "s1", nil); err != nil {
		t.Fatal(err)
	}
	started := await(ctx, t, visitor, wire.TypeConversation)
	conv := decode[wire.Conversation](t, started)
	if started.Ref != "s1" || conv.VisitorID != session.Visitor.ID || conv.AssigneeID != reg.Agent.ID {
		t.Fatalf("start reply ref %q %+v", started.Ref, conv)
	}
	if j := await(ctx, t, visitor, wire.TypeJoined); j.Ref != "" {
		t.Fatalf("automatic join carries ref %q", j.Ref)
	}
	inbox := decode[wire.Conversation](t, await(ctx, t, agent, wire.TypeConversation))
	if inbox.ID != conv.ID {
		t.Fatalf("inbox event for %s, want %s", inbox.ID, conv.ID)
	}
	if err := agent.Send(ctx, wire.TypeConversationJoin, "j1", wire.ConversationJoin{ConversationID: conv.ID}); err != nil {
		t.Fatal(err)
	}
	if j := await(ctx, t, agent, wire.TypeJoined); j.Ref != "j1" {
		t.Fatalf("joined ref %q", j.Ref)
	}

	for i, text := range []string{"hello", "is anyone there?"} {
		ref := "m" + string(rune('1'+i))
		if err := visitor.Send(ctx, wire.TypeMessageSend, ref,
			wire.MessageSend{ConversationID: conv.ID, ClientID: "c-" + ref, Text: text}); err != nil {
			t.Fatal(err)
		}
		ack, err := visitor.Await(ctx, client.Reply(ref))
		if err != nil {
			t.Fatal(err)
		}
		a := decode[wire.Ack](t, ack)
		if ack.Type != wire.TypeAck || a.Seq != int64(i+1) || a.ClientID != "c-"+ref {
			t.Fatalf("ack %s %+v, want seq %d", ack.Type, a, i+1)
		}
		m := decode[wire.Message](t, await(ctx, t, agent, wire.TypeMessage))
		if m.Seq != int64(i+1) || m.Text != text || m.SenderKind != "visitor" || m.SenderID != session.Visitor.ID {
			t.Fatalf("agent got %+v", m)
		}
	}
	if err := agent.Send(ctx, wire.TypeMessageSend, "a1",
		wire.MessageSend{ConversationID: conv.ID, ClientID: "a-1", Text: "yes"}); err != nil {
		t.Fatal(err)
	}
	reply, err := visitor.Await(ctx, func(f client.Frame) bool {
		return f.Type == wire.TypeMessage && decode[wire.Message](t, f).SenderKind == "agent"
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := decode[wire.Message](t, reply); m.Seq != 3 || m.SenderID != reg.Agent.ID || m.Text != "yes" {
		t.Fatalf("visitor got %+v, want the agent's reply as seq 3", m)
	}
	if err := agent.Send(ctx, wire.TypePing, "k1", nil); err != nil {
		t.Fatal(err)
	}
	if p, err := agent.Await(ctx, client.Reply("k1")); err != nil || p.Type != wire.TypePong {
		t.Fatalf("ping: %v %+v", err, p)
	}
	if err := agent.Send(ctx, wire.TypeConversationJoin, "j2", wire.ConversationJoin{ConversationID: "cnv_nope"}); err != nil {
		t.Fatal(err)
	}
	if e, err := agent.Await(ctx, client.Reply("j2")); err != nil || e.Type != wire.TypeError {
		t.Fatalf("join of unknown conversation: %v %+v", err, e)
	}
}

// TestFloorSeqPerConversation checks that each conversation counts its own
// seqs and that a member receives every message once, in order.
func TestFloorSeqPerConversation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	base, stop, err := startFloor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	const n = 50
	var convs [2]string
	var conns [2]*client.Conn
	for i := range conns {
		c, _, err := client.Dial(ctx, base, client.Options{Token: "hlv_anything"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		await(ctx, t, c, wire.TypeReady)
		if err := c.Send(ctx, wire.TypeConversationStart, "s", nil); err != nil {
			t.Fatal(err)
		}
		convs[i] = decode[wire.Conversation](t, await(ctx, t, c, wire.TypeConversation)).ID
		conns[i] = c
	}
	for i := range n {
		for k, c := range conns {
			if err := c.Send(ctx, wire.TypeMessageSend, "", wire.MessageSend{ConversationID: convs[k],
				ClientID: "c" + string(rune('a'+k)) + strings.Repeat("x", i%5), Text: "t"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for k, c := range conns {
		for want := int64(1); want <= n; want++ {
			m := decode[wire.Message](t, await(ctx, t, c, wire.TypeMessage))
			if m.ConversationID != convs[k] || m.Seq != want {
				t.Fatalf("conversation %d: got %s seq %d, want seq %d", k, m.ConversationID, m.Seq, want)
			}
		}
	}
}

func TestFloorStopClosesConnections(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := newFloor(nil)
	stop := serveFloor(ctx, ln, f)
	base := "http://" + ln.Addr().String()
	c, _, err := client.Dial(ctx, base, client.Options{Token: "hla_x.org_y"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	await(ctx, t, c, wire.TypeReady)
	// The client reads while the server stops, as a live client does, so
	// the close handshake completes.
	read := make(chan error, 1)
	go func() {
		_, err := c.Next(ctx)
		read <- err
	}()
	stop()
	err = <-read
	if code := client.CloseStatus(err); code != int(wire.CloseGoingAway) {
		t.Fatalf("after stop: %v (close %d), want 1001", err, code)
	}
	f.mu.RLock()
	left, inbox := len(f.conns), len(f.orgs)
	f.mu.RUnlock()
	if left != 0 || inbox != 0 {
		t.Errorf("after stop: %d connections and %d inboxes still registered", left, inbox)
	}
	stop() // idempotent
}

func TestCheckLoopbackAddr(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:8090", false, true},
		{"[::1]:8090", false, true},
		{"localhost:8090", false, true},
		{"0.0.0.0:8090", false, false},
		{"10.1.2.3:8090", false, false},
		{"10.1.2.3:8090", true, true},
		{"nonsense", true, false},
	} {
		if err := checkLoopbackAddr(tc.addr, tc.remote); (err == nil) != tc.ok {
			t.Errorf("checkLoopbackAddr(%q, %v) = %v, want ok %v", tc.addr, tc.remote, err, tc.ok)
		}
	}
}

func TestRunFloorServerRefusesRemote(t *testing.T) {
	var out bytes.Buffer
	if err := runFloorServer([]string{"--addr", "0.0.0.0:0"}, &out); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("runFloorServer on 0.0.0.0: %v", err)
	}
}
