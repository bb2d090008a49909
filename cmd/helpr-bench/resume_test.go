package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/transport/wire"
)

// frameProxy sits between the harness and a helpr server: REST is passed
// through, each WebSocket is relayed message by message. dropAfter > 0
// drops every relayed socket (no close frame) once that many message
// frames went server → harness; refuseFirst answers the first send of each
// client_id with an overloaded error instead of passing it on.
type frameProxy struct {
	t           *testing.T
	upstream    *url.URL
	srv         *httptest.Server
	dropAfter   int
	refuseFirst bool

	mu       sync.Mutex
	relayed  int
	dropped  bool
	refused  int
	seen     map[string]bool
	sockets  map[*websocket.Conn]struct{}
	handlers sync.WaitGroup
}

func newFrameProxy(t *testing.T, upstream string) *frameProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &frameProxy{t: t, upstream: u, seen: map[string]bool{}, sockets: map[*websocket.Conn]struct{}{}}
	rest := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rest/v1/ws" {
			p.relay(w, r)
			return
		}
		rest.ServeHTTP(w, r)
	}))
	t.Cleanup(p.close)
	return p
}

func (p *frameProxy) close() {
	p.dropAll()
	p.srv.CloseClientConnections()
	p.srv.Close()
	p.handlers.Wait()
}

// relay dials the server with the harness's headers and copies messages
// both ways until either side ends.
func (p *frameProxy) relay(w http.ResponseWriter, r *http.Request) {
	p.handlers.Add(1)
	defer p.handlers.Done()
	h := http.Header{}
	for _, k := range []string{"Origin", "Authorization"} {
		if v := r.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	up := "ws://" + p.upstream.Host + r.URL.RequestURI()
	server, resp, err := websocket.Dial(r.Context(), up, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		status := http.StatusBadGateway
		if resp != nil {
			status = resp.StatusCode
		}
		http.Error(w, "upstream: "+err.Error(), status)
		return
	}
	harness, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		_ = server.CloseNow()
		return
	}
	server.SetReadLimit(1 << 20)
	harness.SetReadLimit(1 << 20)
	p.mu.Lock()
	p.sockets[harness], p.sockets[server] = struct{}{}, struct{}{}
	p.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.copyFrames(ctx, server, harness, p.fromServer)
		cancel()
	}()
	p.copyFrames(ctx, harness, server, func(b []byte) []byte { return p.fromHarness(ctx, harness, b) })
	cancel()
	<-done
	_ = harness.CloseNow()
	_ = server.CloseNow()
	p.mu.Lock()
	delete(p.sockets, harness)
	delete(p.sockets, server)
	p.mu.Unlock()
}

// copyFrames copies src to dst; filter returns what to pass on (nil: none).
func (p *frameProxy) copyFrames(ctx context.Context, src, dst *websocket.Conn, filter func([]byte) []byte) {
	for {
		typ, b, err := src.Read(ctx)
		if err != nil {
			return
		}
		if b = filter(b); b == nil {
			continue
		}
		if err := dst.Write(ctx, typ, b); err != nil {
			return
		}
	}
}

// fromServer counts message frames and drops every socket once at
// dropAfter (the frame that reached the limit is lost with them).
func (p *frameProxy) fromServer(b []byte) []byte {
	n := strings.Count(string(b), `"type":"message"`)
	p.mu.Lock()
	p.relayed += n
	drop := p.dropAfter > 0 && !p.dropped && p.relayed >= p.dropAfter
	if drop {
		p.dropped = true
	}
	p.mu.Unlock()
	if drop {
		p.dropAll()
		return nil
	}
	return b
}

// fromHarness refuses the first send of each client_id, when asked to.
func (p *frameProxy) fromHarness(ctx context.Context, harness *websocket.Conn, b []byte) []byte {
	if !p.refuseFirst {
		return b
	}
	var env wire.Envelope
	var ms wire.MessageSend
	if json.Unmarshal(b, &env) != nil || env.Type != wire.TypeMessageSend || json.Unmarshal(env.Data, &ms) != nil {
		return b
	}
	p.mu.Lock()
	first := !p.seen[ms.ClientID]
	p.seen[ms.ClientID] = true
	if first {
		p.refused++
	}
	p.mu.Unlock()
	if !first {
		return b
	}
	refusal, _ := json.Marshal(wire.Envelope{Type: wire.TypeError, Ref: env.Ref,
		Data: json.RawMessage(`{"code":"overloaded","message":"the proxy pushes back"}`)})
	_ = harness.Write(ctx, websocket.MessageText, refusal)
	return nil
}

// dropAll cuts every relayed socket without a close frame.
func (p *frameProxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.sockets {
		_ = c.CloseNow()
	}
}

// benchRunAt runs scenario against base (a proxy in front of the shared
// server).
func benchRunAt(t *testing.T, base, scenario string, args ...string) *Result {
	t.Helper()
	args = append([]string{"--target", base, "--quiet", "--ack-timeout", "20s"}, args...)
	cfg, err := parseConfig(scenario, args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := runBench(ctx, cfg, io.Discard, nil)
	if err != nil {
		t.Fatalf("%s: %v", scenario, err)
	}
	return res
}

// Every socket is dropped mid-run (no close frame): each connection
// reconnects, joins its conversation again after the last seq it holds and
// resends what was not acked; nothing acked is lost, and the drops are
// reported apart from loss.
func TestDroppedConnectionsReconnectAndResume(t *testing.T) {
	p := newFrameProxy(t, sharedServer(t).base)
	p.dropAfter = 10
	r := benchRunAt(t, p.srv.URL, "rooms", "--conversations", "3", "--rate", "60", "--duration", "1500ms")
	p.mu.Lock()
	dropped := p.dropped
	p.mu.Unlock()
	if !dropped {
		t.Fatalf("the proxy never dropped the sockets: counts %+v", r.Counts)
	}
	requireVerified(t, r)
	c := r.Counts
	t.Logf("counts %+v, drops %v", c, r.Drops)
	if c.Dropped != 6 || c.Reconnected != 6 || r.Drops["no close frame"] != 6 {
		t.Fatalf("drops: counts %+v, reasons %v", c, r.Drops)
	}
	if c.Acked != c.Sent || c.Delivered != c.Sent || c.Lost != 0 {
		t.Fatalf("after resume: counts %+v", c)
	}
}

// A send answered overloaded is pushback: resent later with the same
// client_id, counted apart from errors and violations.
func TestPushbackIsResentNotAnError(t *testing.T) {
	p := newFrameProxy(t, sharedServer(t).base)
	p.refuseFirst = true
	r := benchRunAt(t, p.srv.URL, "rooms", "--conversations", "2", "--rate", "40", "--duration", "1s")
	requireVerified(t, r)
	c := r.Counts
	p.mu.Lock()
	refused := p.refused
	p.mu.Unlock()
	t.Logf("counts %+v", c)
	if c.Pushback == 0 || c.Pushback != int64(refused) || c.Pushback != c.Sent {
		t.Fatalf("pushback %d, proxy refused %d, counts %+v", c.Pushback, refused, c)
	}
	if c.Acked != c.Sent || c.Delivered != c.Sent || c.Dropped != 0 {
		t.Fatalf("counts %+v", c)
	}
}
