package ws

import (
	"bytes"
	"context"
	"path/filepath"
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

func TestSendQueueCapsBytesAndDrainsInOrder(t *testing.T) {
	q := newSendQueue(10)
	for _, f := range []string{"aaa", "bbb", "ccc"} {
		if !q.push([]byte(f)) {
			t.Fatalf("push %s refused under the cap", f)
		}
	}
	if q.push([]byte("dd")) {
		t.Fatal("push over the byte cap accepted")
	}
	got := q.drain(nil, 2, 1<<10)
	if len(got) != 2 || string(got[0]) != "aaa" || string(got[1]) != "bbb" {
		t.Fatalf("drain: %q", got)
	}
	if !q.push([]byte("dddddd")) {
		t.Fatal("freed bytes not reusable")
	}
	got = q.drain(nil, 64, 4) // the byte budget still yields at least one
	if len(got) != 1 || string(got[0]) != "ccc" {
		t.Fatalf("drain by bytes: %q", got)
	}
	q.close()
	if q.push([]byte("x")) {
		t.Fatal("push after close accepted")
	}
	if got = q.drain(nil, 64, 1<<10); len(got) != 1 || string(got[0]) != "dddddd" || !q.empty() {
		t.Fatalf("frames queued before close were lost: %q", got)
	}
}

func TestBatchWriterJoinsWithNewlines(t *testing.T) {
	w := &batchWriter{frames: [][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)}}
	if got := w.join(); !bytes.Equal(got, []byte("{\"a\":1}\n{\"b\":2}")) {
		t.Fatalf("join: %q", got)
	}
	if got := wire.SplitFrames(w.join()); len(got) != 2 {
		t.Fatalf("split of a joined batch: %d frames", len(got))
	}
}

func TestCodecEncodesEveryHubEvent(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	msg := &storage.Message{ID: "msg_1", ConversationID: "cnv_1", Seq: 7, ClientID: "c1", SenderKind: storage.SenderAgent, SenderID: "agt_1", Text: "hi\n\u2028", CreatedAt: now}
	events := []hub.Event{
		{Type: hub.EventMessage, Message: msg},
		{Type: hub.EventConversation, Conversation: &storage.Conversation{ID: "cnv_1", Status: storage.ConversationOpen, CreatedAt: now, UpdatedAt: now}},
		{Type: hub.EventTyping, ConversationID: "cnv_1", Typing: &hub.Typing{SenderKind: storage.SenderVisitor, SenderID: "vis_1", Active: true}},
		{Type: hub.EventReceipt, ConversationID: "cnv_1", Receipt: &hub.Receipt{Side: storage.SenderAgent, Seq: 7}},
		{Type: hub.EventPresence, Presence: &hub.Presence{SubjectKind: storage.SubjectAgent, SubjectID: "agt_1", Status: hub.PresenceAway}},
	}
	for _, e := range events {
		b, err := Codec{}.Encode(e)
		if err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
		if bytes.ContainsAny(b, "\n") {
			t.Fatalf("%s: raw newline inside a frame breaks coalescing: %s", e.Type, b)
		}
		if !bytes.Contains(b, []byte(`"type":"`+string(e.Type)+`"`)) {
			t.Fatalf("%s: encoded as %s", e.Type, b)
		}
	}
	if _, err := (Codec{}).Encode(hub.Event{Type: hub.EventMessage}); err == nil {
		t.Fatal("an event without its payload encoded")
	}
}

// benchConn is a connection wired to real sessions over a real SQLite store,
// without a socket: enough to drive the per-frame middleware.
func benchConn(tb testing.TB) *conn {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "helpr.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = store.Close() })
	org := storage.Organization{ID: storage.NewID("org"), Name: "Acme", CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	owner := storage.Agent{ID: storage.NewID("agt"), OrgID: org.ID, Name: "Ada", Email: "ada@acme.test", Role: storage.RoleOwner, PasswordHash: "x", CreatedAt: org.CreatedAt}
	if err := store.CreateOrgWithOwner(ctx, org, owner); err != nil {
		tb.Fatal(err)
	}
	sessions, err := security.NewSessions(security.SessionsConfig{Store: store})
	if err != nil {
		tb.Fatal(err)
	}
	issued, err := sessions.Start(ctx, security.StartParams{OrgID: org.ID, Kind: storage.SubjectAgent, SubjectID: owner.ID})
	if err != nil {
		tb.Fatal(err)
	}
	s := NewServer(Config{
		Hub: hub.New(store, Codec{}, hub.Options{}), Sessions: sessions, Directory: sealed(tb, store),
		Logger: zerolog.Nop(), FrameRate: 1e9, FrameBurst: 1 << 30, SendQueueBytes: 1 << 30,
	})
	c := newConn(s, nil, gate{})
	c.tokenHash = security.HashToken(issued.AccessToken)
	if _, err := sessions.ValidateHash(ctx, c.tokenHash); err != nil { // warm the cache
		tb.Fatal(err)
	}
	return c
}

// BenchmarkFrameMiddleware measures the per-frame path of one ping frame:
// token re-validation through the cache, the token bucket, decode and
// schema validation, dispatch and queuing the encoded pong.
func BenchmarkFrameMiddleware(b *testing.B) {
	c := benchConn(b)
	ctx := context.Background()
	frame := []byte(`{"type":"ping","ref":"r1"}`)
	b.ReportAllocs()
	for b.Loop() {
		c.handleFrame(ctx, websocket.MessageText, frame)
		if c.ended() {
			b.Fatal("connection ended")
		}
		c.queue.drain(nil, 1, 1<<10)
	}
}

// BenchmarkFrameMiddlewareDecodeSend measures middleware plus decoding and
// validating a message.send frame (without storing it).
func BenchmarkFrameMiddlewareDecodeSend(b *testing.B) {
	c := benchConn(b)
	ctx := context.Background()
	frame := []byte(`{"type":"message.send","ref":"r1","data":{"conversation_id":"cnv_x","client_id":"c-1","text":"hello there, how can I help?"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if !c.checkToken(ctx) || !c.bucket.Take() {
			b.Fatal("refused")
		}
		if _, err := wire.DecodeClient(frame); err != nil {
			b.Fatal(err)
		}
	}
}
