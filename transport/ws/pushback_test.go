package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/transport/wire"
)

// rawPeer is a visitor on a bare coder/websocket connection (so the test
// can ping the server), whose frames a goroutine reads into frames; closed
// gets the error that ended the reading.
type rawPeer struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan wire.Envelope
	closed chan error
	conv   string
}

// dialPeer connects a new visitor, starts a conversation and joins it.
func (e *outageEnv) dialPeer() *rawPeer {
	e.t.Helper()
	u := "ws" + strings.TrimPrefix(e.base, "http") + "/rest/v1/ws?key=" + e.widget.PublishableKey
	h := http.Header{"Authorization": {"Bearer " + e.visitor()}, "Origin": {shopOrigin}}
	c, _, err := websocket.Dial(deadline(e.t), u, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = c.CloseNow() })
	p := &rawPeer{t: e.t, ws: c, frames: make(chan wire.Envelope, 256), closed: make(chan error, 1)}
	go p.read()
	p.await(wire.TypeReady, "")
	p.send(wire.TypeConversationStart, "start", nil)
	var j wire.Joined
	if err := json.Unmarshal(p.await(wire.TypeJoined, "").Data, &j); err != nil {
		e.t.Fatal(err)
	}
	p.conv = j.ConversationID
	return p
}

func (p *rawPeer) read() {
	for {
		_, b, err := p.ws.Read(context.Background())
		if err != nil {
			p.closed <- err
			close(p.frames)
			return
		}
		for _, raw := range bytes.Split(b, []byte{'\n'}) {
			var env wire.Envelope
			if json.Unmarshal(raw, &env) == nil {
				p.frames <- env
			}
		}
	}
}

func (p *rawPeer) send(typ, ref string, data any) {
	p.t.Helper()
	frame := map[string]any{"type": typ, "ref": ref}
	if data != nil {
		frame["data"] = data
	}
	b, _ := json.Marshal(frame)
	if err := p.ws.Write(deadline(p.t), websocket.MessageText, b); err != nil {
		p.t.Fatal(err)
	}
}

// sendMessage sends message.send ref with client id ref.
func (p *rawPeer) sendMessage(ref string) {
	p.t.Helper()
	p.send(wire.TypeMessageSend, ref, wire.MessageSend{ConversationID: p.conv, ClientID: ref, Text: ref})
}

// await returns the next frame of type typ (and ref, when set), skipping
// others; it fails if the connection ends first.
func (p *rawPeer) await(typ, ref string) wire.Envelope {
	p.t.Helper()
	ctx := deadline(p.t)
	for {
		select {
		case env, ok := <-p.frames:
			if !ok {
				p.t.Fatalf("connection ended awaiting %s %q: %v", typ, ref, <-p.closed)
			}
			if env.Type == typ && (ref == "" || env.Ref == ref) {
				return env
			}
			if env.Type == wire.TypeError && env.Ref == ref && ref != "" {
				p.t.Fatalf("awaiting %s %q: got error %s", typ, ref, env.Data)
			}
		case <-ctx.Done():
			p.t.Fatalf("no %s %q", typ, ref)
		}
	}
}

// answers returns the type and ref of the next n frames answering a
// message.send (acks and errors), in order.
func (p *rawPeer) answers(n int) []wire.Envelope {
	p.t.Helper()
	var got []wire.Envelope
	ctx := deadline(p.t)
	for len(got) < n {
		select {
		case env, ok := <-p.frames:
			if !ok {
				p.t.Fatalf("connection ended after %d answers: %v", len(got), <-p.closed)
			}
			if env.Type == wire.TypeAck || env.Type == wire.TypeError {
				got = append(got, env)
			}
		case <-ctx.Done():
			p.t.Fatalf("%d answers, want %d", len(got), n)
		}
	}
	return got
}

// releaseAppends lets n waiting (or future) appends of the slow store
// through, one each.
func (e *outageEnv) releaseAppends(n int) {
	e.t.Helper()
	ctx := deadline(e.t)
	for range n {
		select {
		case e.store.release <- struct{}{}:
		case <-ctx.Done():
			e.t.Fatal("no append to release")
		}
	}
}

// storedTexts lists the texts stored in conv, in seq order.
func (e *outageEnv) storedTexts(conv string) []string {
	e.t.Helper()
	msgs, err := e.store.ListMessages(context.Background(), e.org, conv, 0, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.Text)
	}
	return texts
}

const testWindow = 3

// onlyConn returns the server's one open connection.
func (e *outageEnv) onlyConn() *conn {
	e.t.Helper()
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	if len(e.srv.conns) != 1 {
		e.t.Fatalf("%d connections, want 1", len(e.srv.conns))
	}
	for c := range e.srv.conns {
		return c
	}
	return nil
}

// The finding: the reader handled every frame itself, so while a send
// waited on a slow store nothing was read, not even the pongs of the
// server's own pings, and the connection was dropped as ping_timeout (no
// close frame). Now the reader keeps reading (pings answered) while up to
// SendWindow frames are pending, and stops reading only beyond: the next
// frame is not taken until one of them is handled. Sends are stored and
// acked in the order sent.
func TestWindowKeepsReadingThenPushesBack(t *testing.T) {
	e := newOutageEnv(t, func(c *Config) { c.SendWindow = testWindow })
	p := e.dialPeer()
	e.store.slow.Store(true)
	for i := range testWindow {
		p.sendMessage(fmt.Sprintf("m%d", i))
	}
	if err := p.ws.Ping(deadline(t)); err != nil { // read after the window's frames
		t.Fatalf("ping with %d sends pending: %v", testWindow, err)
	}
	if n := e.onlyConn().pending(); n != testWindow {
		t.Fatalf("%d frames pending after the ping, want %d", n, testWindow)
	}
	waitFor(t, "the first send to reach the store", func() bool { return e.store.appending.Load() >= 1 })
	if n := e.store.appending.Load(); n != 1 {
		t.Fatalf("%d appends in the store, want 1 (a connection's sends are stored one by one)", n)
	}

	p.sendMessage(fmt.Sprintf("m%d", testWindow)) // beyond the window
	waitFor(t, "the reader to wait on the full window", func() bool { return e.srv.backpressured.Load() > 0 })
	pong := make(chan error, 1)
	go func() { pong <- p.ws.Ping(deadline(t)) }()
	select {
	case err := <-pong:
		t.Fatalf("ping answered (%v) while the window was full: the frame beyond it was read", err)
	default:
	}
	e.releaseAppends(1)
	if err := <-pong; err != nil {
		t.Fatalf("ping after an ack: %v", err)
	}
	e.releaseAppends(testWindow)

	var want []string
	for i, a := range p.answers(testWindow + 1) {
		ref := fmt.Sprintf("m%d", i)
		if a.Type != wire.TypeAck || a.Ref != ref {
			t.Fatalf("answer %d: %s %q, want ack %q", i, a.Type, a.Ref, ref)
		}
		want = append(want, ref)
	}
	if got := e.storedTexts(p.conv); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stored %v, want %v", got, want)
	}
}

// Pipelined sends with a fast store keep their order, across the window.
func TestPipelinedSendsKeepOrder(t *testing.T) {
	e := newOutageEnv(t, func(c *Config) { c.SendWindow = testWindow })
	p := e.dialPeer()
	const n = 30 // within the frame burst
	var want []string
	for i := range n {
		ref := fmt.Sprintf("m%02d", i)
		p.sendMessage(ref)
		want = append(want, ref)
	}
	var seq int64
	for i, a := range p.answers(n) {
		var ack wire.Ack
		_ = json.Unmarshal(a.Data, &ack)
		if a.Type != wire.TypeAck || a.Ref != want[i] || ack.Seq <= seq {
			t.Fatalf("answer %d: %s %q seq %d after %d, want ack %q", i, a.Type, a.Ref, ack.Seq, seq, want[i])
		}
		seq = ack.Seq
	}
	if got := e.storedTexts(p.conv); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stored %v, want %v", got, want)
	}
}

// decodeError decodes an error frame's data.
func decodeError(t *testing.T, env wire.Envelope) wire.Error {
	t.Helper()
	var e wire.Error
	if env.Type != wire.TypeError || json.Unmarshal(env.Data, &e) != nil {
		t.Fatalf("%s %s, want an error frame", env.Type, env.Data)
	}
	return e
}

// Beyond MaxAppends sends in the store on the node, a send is answered
// overloaded with a retry hint, and nothing is stored for it: its resend
// with the same client id is stored as new.
func TestOverloadedBeyondNodeAppendsStoresNothing(t *testing.T) {
	e := newOutageEnv(t, func(c *Config) { c.MaxAppends = 1 })
	a, b := e.dialPeer(), e.dialPeer()
	e.store.slow.Store(true)
	a.sendMessage("a")
	waitFor(t, "a's send to reach the store", func() bool { return e.store.appending.Load() == 1 })
	b.sendMessage("b")
	got := b.answers(1)[0]
	if werr := decodeError(t, got); got.Ref != "b" || werr.Code != string(wire.CodeOverloaded) || werr.RetryAfterMS <= 0 {
		t.Fatalf("b answered %q %+v, want overloaded with retry_after_ms", got.Ref, werr)
	}
	e.releaseAppends(1)
	a.await(wire.TypeAck, "a")
	if texts := e.storedTexts(b.conv); len(texts) != 0 {
		t.Fatalf("stored %v for an overloaded send", texts)
	}
	e.store.slow.Store(false)
	b.sendMessage("b")
	var ack wire.Ack
	_ = json.Unmarshal(b.await(wire.TypeAck, "b").Data, &ack)
	if ack.Duplicate || ack.ClientID != "b" {
		t.Fatalf("resend acked %+v, want a new message", ack)
	}
}

// A send that waited past AppendWaitBudget behind its connection's earlier
// frames is answered overloaded, not stored; the ones before it are acked.
func TestOverloadedPastWaitBudgetStoresNothing(t *testing.T) {
	e := newOutageEnv(t, func(c *Config) { c.AppendWaitBudget = time.Second })
	p := e.dialPeer()
	e.store.slow.Store(true)
	p.sendMessage("first")
	p.sendMessage("late")
	waitFor(t, "the first send to reach the store", func() bool { return e.store.appending.Load() == 1 })
	if err := p.ws.Ping(deadline(t)); err != nil { // "late" is read, and waits behind "first"
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Second)
	e.releaseAppends(1)
	got := p.answers(2)
	if got[0].Type != wire.TypeAck || got[0].Ref != "first" {
		t.Fatalf("first answered %s %q", got[0].Type, got[0].Ref)
	}
	if werr := decodeError(t, got[1]); got[1].Ref != "late" || werr.Code != string(wire.CodeOverloaded) {
		t.Fatalf("late answered %q %+v, want overloaded", got[1].Ref, werr)
	}
	if texts := e.storedTexts(p.conv); fmt.Sprint(texts) != "[first]" {
		t.Fatalf("stored %v, want [first]", texts)
	}
}

// The finding behind the silent drops: the server's pings went unanswered
// while it was itself too busy to read (the reader held by the store), and
// it dropped live clients without a close frame. Now a missed pong counts
// only when the reader was waiting in Read the whole time: with the store
// stalled and the window full, pings go on missing and the connection
// stays; once the store answers, every send is acked and it still works.
func TestSlowStoreDropsNoConnection(t *testing.T) {
	e := newOutageEnv(t, func(c *Config) {
		c.SendWindow = testWindow
		c.PingInterval = 10 * time.Millisecond
		c.PongTimeout = 10 * time.Millisecond
	})
	peers := []*rawPeer{e.dialPeer(), e.dialPeer()}
	e.store.slow.Store(true)
	for _, p := range peers {
		for i := range testWindow + 2 {
			p.sendMessage(fmt.Sprintf("m%d", i))
		}
	}
	dropped := func() bool {
		for _, p := range peers {
			if len(p.closed) > 0 {
				return true
			}
		}
		return false
	}
	waitFor(t, "pongs to be missed", func() bool { return e.srv.pongsMissed.Load() >= 4 || dropped() })
	for i, p := range peers {
		select {
		case err := <-p.closed:
			t.Fatalf("peer %d dropped while the store was slow: %v (close code %d)", i, err, websocket.CloseStatus(err))
		default:
		}
	}
	e.store.slow.Store(false)
	close(e.store.release)
	for _, p := range peers {
		for i, a := range p.answers(testWindow + 2) {
			if a.Type != wire.TypeAck {
				t.Fatalf("answer %d: %s %s", i, a.Type, a.Data)
			}
		}
		if err := p.ws.Ping(deadline(t)); err != nil {
			t.Fatalf("connection lost: %v", err)
		}
	}
	if n := e.srv.ConnCount(); n != len(peers) {
		t.Fatalf("%d connections open, want %d", n, len(peers))
	}
}

// Flooding is answered with rate_limited error frames echoing each refused
// frame's ref (so a client knows what to resend), not a close.
func TestFloodIsAnsweredRateLimitedNotClosed(t *testing.T) {
	e := newOutageEnv(t, func(c *Config) { c.FrameBurst = 2; c.FrameRate = 0.001 })
	p := e.dialPeer() // conversation.start spends one of the burst's two
	for i := range 5 {
		p.send(wire.TypePing, fmt.Sprintf("p%d", i), nil)
	}
	p.await(wire.TypePong, "p0")
	for i := 1; i < 5; i++ {
		got := p.answers(1)[0]
		if werr := decodeError(t, got); werr.Code != string(wire.CodeRateLimited) || got.Ref != fmt.Sprintf("p%d", i) {
			t.Fatalf("flood frame p%d answered %q %+v, want rate_limited echoing its ref", i, got.Ref, werr)
		}
	}
	if err := p.ws.Ping(deadline(t)); err != nil {
		t.Fatalf("connection closed under a flood: %v", err)
	}
}
