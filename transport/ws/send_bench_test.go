package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
	"github.com/helpr-chat/helpr/transport/wire"
)

// The send-path benchmarks drive one chat message through everything the
// server does with it: decode → per-frame authorisation → append to a real
// SQLite store (group committed) → fan-out to the room → encoded bytes for
// every member (and, over sockets, the writer and the WebSocket framing on
// both sides).

// sendParallelConversations is how many conversations the parallel variant
// of BenchmarkSendPathEndToEnd sends in at once (about; rounded up to a
// multiple of GOMAXPROCS).
const sendParallelConversations = 64

var (
	prefixAck     = []byte(`{"type":"ack"`)
	prefixMessage = []byte(`{"type":"message",`)
	prefixError   = []byte(`{"type":"error"`)
)

// BenchmarkSendPathEndToEnd measures message.send over real WebSockets on
// loopback: a visitor writes the frame and waits for its ack (an ack means
// durably stored), and the agent in the conversation receives the message.
// "conversations=1" is one message at a time (µs/msg is the latency);
// "conversations=64" runs 64 such pairs at once (RunParallel), so that the
// store's group commit batches; msgs/s is the throughput. Allocations count
// both sides: the server and the two clients run in this process.
func BenchmarkSendPathEndToEnd(b *testing.B) {
	env, parent := newSendBenchEnv(b), b // the pairs live on the parent: kept across runs
	var one []*chatPair
	b.Run("conversations=1", func(b *testing.B) {
		if one == nil {
			one = env.pairs(parent, 1)
		}
		p := one[0]
		b.ReportAllocs()
		for b.Loop() {
			if err := p.roundTrip(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
		reportSendRate(b)
	})
	var many []*chatPair
	parallelism := (sendParallelConversations + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	b.Run(fmt.Sprintf("conversations=%d", parallelism*runtime.GOMAXPROCS(0)), func(b *testing.B) {
		if many == nil {
			many = env.pairs(parent, parallelism*runtime.GOMAXPROCS(0))
		}
		var next atomic.Int64
		b.SetParallelism(parallelism)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			p := many[next.Add(1)-1]
			for pb.Next() {
				if err := p.roundTrip(b.Context()); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportSendRate(b)
	})
}

// reportSendRate reports µs/msg and msgs/s over the timed messages.
func reportSendRate(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/msg")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSendPathInProcess is the server's side of one message alone, no
// sockets: the visitor connection's frame middleware decodes and authorises
// a message.send frame, the hub stores it and fans it out, and the encoded
// frames are taken from the visitor's and the agent's send queues and
// joined as their writers would. allocs/op is the server's allocations per
// message.
func BenchmarkSendPathInProcess(b *testing.B) {
	env := newSendBenchEnv(b)
	visitor, agent := env.inProcessPair(b)
	ctx := context.Background()
	var frame []byte
	var n int64
	w := &batchWriter{}
	b.ReportAllocs()
	for b.Loop() {
		n++
		frame = appendSendFrame(frame[:0], visitor.conv, n)
		visitor.c.handleFrame(ctx, websocket.MessageText, frame)
		if err := visitor.take(w, prefixAck); err != nil {
			b.Fatal(err)
		}
		if err := agent.take(w, prefixMessage); err != nil {
			b.Fatal(err)
		}
	}
	reportSendRate(b)
}

// sendBenchEnv is a ws.Server with the real hub on a real SQLite store in a
// temporary directory, served on loopback.
type sendBenchEnv struct {
	base     string
	srv      *Server
	store    *sqlite.Store
	sessions *security.Sessions
}

func newSendBenchEnv(tb testing.TB) *sendBenchEnv {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "helpr.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = store.Close() })
	sessions, err := security.NewSessions(security.SessionsConfig{Store: store})
	if err != nil {
		tb.Fatal(err)
	}
	srv := NewServer(Config{
		Hub: hub.New(store, Codec{}, hub.Options{}), Sessions: sessions, Directory: sealed(tb, store),
		PublicOrigin: hubOrigin, Logger: zerolog.Nop(),
		FrameRate: 1e9, FrameBurst: 1 << 30, ConversationLimit: RateLimit{Disabled: true},
		ConnsPerIP: NoCap, ConnsPerSubject: NoCap,
	})
	mux := http.NewServeMux()
	mux.Handle("/rest/v1/ws", srv)
	ts := httptest.NewServer(mux)
	tb.Cleanup(func() { // registered first: runs after the clients closed
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		ts.Close()
	})
	return &sendBenchEnv{base: ts.URL, srv: srv, store: store, sessions: sessions}
}

// chatParty is what one side of a conversation needs: its organisation,
// widget and access token.
type chatParty struct {
	widget storage.Widget
	token  string
}

// seedPair stores an organisation of its own (so that its agent's activity
// watch sees this conversation only), its widget and a visitor, and
// returns the visitor's and the owner's (the agent's) sessions.
func (e *sendBenchEnv) seedPair(tb testing.TB) (visitor, agent chatParty) {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	orgID, ownerID, w := seedOrgWidget(tb, ctx, e.store, now)
	v := storage.Visitor{ID: storage.NewID("vis"), OrgID: orgID, WidgetID: w.ID, CreatedAt: now, LastSeenAt: now}
	if err := e.store.CreateVisitor(ctx, v); err != nil {
		tb.Fatal(err)
	}
	start := func(kind storage.SubjectKind, id string) string {
		is, err := e.sessions.Start(ctx, security.StartParams{OrgID: orgID, Kind: kind, SubjectID: id})
		if err != nil {
			tb.Fatal(err)
		}
		return is.AccessToken
	}
	return chatParty{w, start(storage.SubjectVisitor, v.ID)}, chatParty{w, start(storage.SubjectAgent, ownerID)}
}

// chatPair is a visitor and an agent connected over WebSockets, both
// members of the visitor's conversation.
type chatPair struct {
	visitor, agent *websocket.Conn
	conv           string
	sent           int64        // message.send frames written (client ids)
	frame          []byte       // the frame being written, reused
	buf            bytes.Buffer // the message being read, reused
}

// pairs connects n chat pairs, each in an organisation of its own.
func (e *sendBenchEnv) pairs(tb testing.TB, n int) []*chatPair {
	tb.Helper()
	out := make([]*chatPair, n)
	for i := range out {
		out[i] = e.pair(tb)
	}
	return out
}

func (e *sendBenchEnv) pair(tb testing.TB) *chatPair {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a deadlock guard
	defer cancel()
	vp, ap := e.seedPair(tb)
	p := &chatPair{visitor: e.dial(tb, vp, true), agent: e.dial(tb, ap, false)}
	var err error
	if p.conv, err = p.start(ctx); err != nil {
		tb.Fatal(err)
	}
	join := fmt.Sprintf(`{"type":"conversation.join","ref":"j","data":{"conversation_id":%q}}`, p.conv)
	if err := p.agent.Write(ctx, websocket.MessageText, []byte(join)); err != nil {
		tb.Fatal(err)
	}
	if _, err := p.await(ctx, p.agent, []byte(`{"type":"joined"`)); err != nil {
		tb.Fatalf("agent join: %v", err)
	}
	return p
}

// dial connects one party (a visitor through its widget, else an agent)
// and waits for ready.
func (e *sendBenchEnv) dial(tb testing.TB, party chatParty, visitor bool) *websocket.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(e.base, "http") + "/rest/v1/ws"
	h := http.Header{"Authorization": {"Bearer " + party.token}, "Origin": {hubOrigin}}
	if visitor {
		u += "?key=" + party.widget.PublishableKey
		h.Set("Origin", shopOrigin)
	}
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { _ = c.CloseNow() })
	c.SetReadLimit(1 << 20)
	var rd bytes.Buffer
	if _, err := readUntil(ctx, c, &rd, []byte(`{"type":"ready"`)); err != nil {
		tb.Fatalf("await ready: %v", err)
	}
	return c
}

// start opens the visitor's conversation and waits until the visitor has
// joined it (the joined frame names it; the conversation frame before it
// may come in the same message).
func (p *chatPair) start(ctx context.Context) (string, error) {
	if err := p.visitor.Write(ctx, websocket.MessageText, []byte(`{"type":"conversation.start","ref":"s"}`)); err != nil {
		return "", err
	}
	f, err := p.await(ctx, p.visitor, []byte(`{"type":"joined"`))
	if err != nil {
		return "", fmt.Errorf("start: %w", err)
	}
	var env wire.Envelope
	var joined wire.Joined
	if err := json.Unmarshal(f, &env); err != nil {
		return "", err
	}
	if err := json.Unmarshal(env.Data, &joined); err != nil {
		return "", err
	}
	return joined.ConversationID, nil
}

// roundTrip sends one message: the visitor writes message.send and reads
// until its ack (its own copy of the message comes first), then the agent
// reads until the message.
func (p *chatPair) roundTrip(ctx context.Context) error {
	p.sent++
	p.frame = appendSendFrame(p.frame[:0], p.conv, p.sent)
	if err := p.visitor.Write(ctx, websocket.MessageText, p.frame); err != nil {
		return err
	}
	if _, err := p.await(ctx, p.visitor, prefixAck); err != nil {
		return fmt.Errorf("visitor ack: %w", err)
	}
	if _, err := p.await(ctx, p.agent, prefixMessage); err != nil {
		return fmt.Errorf("agent delivery: %w", err)
	}
	return nil
}

func (p *chatPair) await(ctx context.Context, c *websocket.Conn, prefix []byte) ([]byte, error) {
	return readUntil(ctx, c, &p.buf, prefix)
}

// readUntil reads WebSocket messages into buf until one holds a frame
// starting with prefix, and returns that frame (valid until the next read).
// The rest of that message is discarded; an error frame fails.
func readUntil(ctx context.Context, c *websocket.Conn, buf *bytes.Buffer, prefix []byte) ([]byte, error) {
	for {
		_, rd, err := c.Reader(ctx)
		if err != nil {
			return nil, err
		}
		buf.Reset()
		if _, err := buf.ReadFrom(rd); err != nil {
			return nil, err
		}
		if f, err := findFrame(buf.Bytes(), prefix); f != nil || err != nil {
			return f, err
		}
	}
}

// findFrame returns the first of msg's newline-separated frames that starts
// with prefix, or an error for an error frame.
func findFrame(msg, prefix []byte) ([]byte, error) {
	for len(msg) > 0 {
		var f []byte
		f, msg, _ = bytes.Cut(msg, []byte{'\n'})
		if bytes.HasPrefix(f, prefix) {
			return f, nil
		}
		if bytes.HasPrefix(f, prefixError) {
			return nil, fmt.Errorf("error frame %s", f)
		}
	}
	return nil, nil
}

// appendSendFrame appends a message.send frame with client id "c<n>".
func appendSendFrame(b []byte, conv string, n int64) []byte {
	b = append(b, `{"type":"message.send","ref":"m","data":{"conversation_id":"`...)
	b = append(b, conv...)
	b = append(b, `","client_id":"c`...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, `","text":"hello there, how can I help?"}}`...)
}

// socketless is a server-side connection without a socket, authenticated
// as at upgrade; its send queue is drained by hand (take).
type socketless struct {
	c    *conn
	conv string
}

// inProcessPair makes a visitor and an agent connection on the env's
// server, authenticated as at upgrade (session binding, presence, the
// agent's activity watch), both joined in the visitor's new conversation.
func (e *sendBenchEnv) inProcessPair(tb testing.TB) (visitor, agent *socketless) {
	tb.Helper()
	vp, ap := e.seedPair(tb)
	visitor, agent = e.socketless(tb, vp), e.socketless(tb, ap)
	ctx := context.Background()
	visitor.c.handleFrame(ctx, websocket.MessageText, []byte(`{"type":"conversation.start","ref":"s"}`))
	f, err := findFrame(bytes.Join(visitor.c.queue.drain(nil, 64, 1<<20), []byte{'\n'}), []byte(`{"type":"conversation"`))
	if err != nil || f == nil {
		tb.Fatalf("start: %s, %v", f, err)
	}
	var env wire.Envelope
	var conv wire.Conversation
	if err := json.Unmarshal(f, &env); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(env.Data, &conv); err != nil {
		tb.Fatal(err)
	}
	visitor.conv, agent.conv = conv.ID, conv.ID
	agent.c.handleFrame(ctx, websocket.MessageText,
		fmt.Appendf(nil, `{"type":"conversation.join","ref":"j","data":{"conversation_id":%q}}`, conv.ID))
	w := &batchWriter{}
	if err := agent.take(w, []byte(`{"type":"joined"`)); err != nil {
		tb.Fatal(err)
	}
	return visitor, agent
}

func (e *sendBenchEnv) socketless(tb testing.TB, party chatParty) *socketless {
	tb.Helper()
	ctx := context.Background()
	hash := security.HashToken(party.token)
	p, err := e.sessions.ValidateHash(ctx, hash)
	if err != nil {
		tb.Fatal(err)
	}
	g := gate{token: hash, principal: &p}
	if p.Kind == storage.SubjectVisitor {
		g.widget = &party.widget
	}
	c := newConn(e.srv, nil, g)
	if err := c.authenticate(ctx); err != nil {
		tb.Fatal(err)
	}
	c.queue.release()
	tb.Cleanup(func() {
		c.fail(closing{label: "client_closed"})
		c.detach()
	})
	return &socketless{c: c}
}

// take drains the connection's send queue as its writer would (joined into
// one message) until a frame starting with prefix has been taken. The hub
// delivers synchronously, so the frame is normally queued already; it
// yields while it is not.
func (s *socketless) take(w *batchWriter, prefix []byte) error {
	for spins := 0; ; spins++ {
		if s.c.ended() {
			return fmt.Errorf("connection ended: %+v", s.c.why.Load())
		}
		w.frames = s.c.queue.drain(w.frames[:0], maxFramesPerWrite, maxBytesPerWrite)
		msg := w.join()
		if len(w.frames) == 0 {
			msg = nil
		}
		f, err := findFrame(msg, prefix)
		clear(w.frames)
		if f != nil || err != nil {
			return err
		}
		if spins > 1e6 {
			return fmt.Errorf("no %s frame queued", prefix)
		}
		runtime.Gosched()
	}
}
