package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// jsonCodec encodes events as JSON and counts the message encodings.
type jsonCodec struct{ messages atomic.Int64 }

func (c *jsonCodec) Encode(e Event) ([]byte, error) {
	if e.Type == EventMessage {
		c.messages.Add(1)
	}
	return json.Marshal(e)
}

// recorder is a Subscriber keeping every frame.
type recorder struct {
	mu     sync.Mutex
	frames []Frame
}

func (r *recorder) Deliver(f Frame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frames = append(r.frames, f)
}

// all returns a copy of the frames received so far.
func (r *recorder) all() []Frame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Frame(nil), r.frames...)
}

// events decodes the frames received so far, optionally of one type only.
func (r *recorder) events(t *testing.T, only EventType) []Event {
	t.Helper()
	var out []Event
	for _, f := range r.all() {
		var e Event
		if err := json.Unmarshal(f.Data, &e); err != nil {
			t.Fatalf("decode frame: %v", err)
		}
		if only == "" || e.Type == only {
			out = append(out, e)
		}
	}
	return out
}

// seqs returns the sequences of the message frames received, checking
// each frame's Seq against the message it carries.
func (r *recorder) seqs(t *testing.T) []int64 {
	t.Helper()
	var out []int64
	for _, e := range r.events(t, EventMessage) {
		out = append(out, e.Message.Seq)
	}
	return out
}

// wantSeqs fails unless got is exactly from..to.
func wantSeqs(t *testing.T, who string, got []int64, from, to int64) {
	t.Helper()
	if int64(len(got)) != to-from+1 {
		t.Fatalf("%s: got %d messages, want %d (seqs %d..%d): %v", who, len(got), to-from+1, from, to, got)
	}
	for i, s := range got {
		if s != from+int64(i) {
			t.Fatalf("%s: message %d has seq %d, want %d", who, i, s, from+int64(i))
		}
	}
}

// org is a seeded organisation.
type org struct {
	id       string
	widgetID string
	agents   []Actor
}

// visitor returns a new visitor actor of the organisation.
func (o org) visitor() Actor {
	return Actor{OrgID: o.id, Kind: storage.SubjectVisitor, ID: storage.NewID("vis")}
}

// openStore opens a fresh SQLite store under the test's temporary directory.
func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "helpr.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// seedOrg stores an organisation with agents and one widget.
func seedOrg(t testing.TB, s storage.Store, agents int) org {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	o := org{id: storage.NewID("org"), widgetID: storage.NewID("wid")}
	for i := range agents {
		ag := storage.Agent{
			ID: fmt.Sprintf("agt_%d_%s", i, storage.NewID("x")), OrgID: o.id, Name: "Agent",
			Email: storage.NewID("a") + "@example.com", Role: storage.RoleAgent, CreatedAt: now,
		}
		var err error
		if i == 0 {
			ag.Role = storage.RoleOwner
			err = s.CreateOrgWithOwner(ctx, storage.Organization{ID: o.id, Name: "Org", CreatedAt: now}, ag)
		} else {
			err = s.CreateAgent(ctx, ag)
		}
		if err != nil {
			t.Fatalf("seed agent: %v", err)
		}
		o.agents = append(o.agents, Actor{OrgID: o.id, Kind: storage.SubjectAgent, ID: ag.ID})
	}
	w := storage.Widget{ID: o.widgetID, OrgID: o.id, Name: "Site", PublishableKey: storage.NewID("pk"), CreatedAt: now}
	if err := s.CreateWidget(ctx, w); err != nil {
		t.Fatalf("seed widget: %v", err)
	}
	return o
}

// env is a hub over a fresh store with one seeded organisation.
type env struct {
	store *sqlite.Store
	hub   *Hub
	codec *jsonCodec
	org   org
}

// newEnv builds an env with the given number of agents (at least 1).
func newEnv(t testing.TB, agents int, opts Options) *env {
	t.Helper()
	s := openStore(t)
	c := &jsonCodec{}
	return &env{store: s, hub: New(s, c, opts), codec: c, org: seedOrg(t, s, max(agents, 1))}
}

// start opens a conversation for v, failing the test on error.
func (e *env) start(t testing.TB, v Actor) storage.Conversation {
	t.Helper()
	c, err := e.hub.StartConversation(context.Background(), v, e.org.widgetID)
	if err != nil {
		t.Fatalf("start conversation: %v", err)
	}
	return c
}

// join joins a fresh recorder, failing the test on error.
func (e *env) join(t testing.TB, a Actor, conversationID string, after int64) (*recorder, *Membership) {
	t.Helper()
	rec := &recorder{}
	m, err := e.hub.Join(context.Background(), a, conversationID, after, rec)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	t.Cleanup(m.Leave)
	return rec, m
}

// send sends one message, failing the test on error.
func (e *env) send(t testing.TB, a Actor, conversationID, clientID string) storage.Message {
	t.Helper()
	msg, _, err := e.hub.Send(context.Background(), a, conversationID, clientID, "hello "+clientID)
	if err != nil {
		t.Errorf("send %s: %v", clientID, err)
	}
	return msg
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// roomCount is how many channels this node holds.
func (h *Hub) roomCount() int {
	n := 0
	for i := range h.rooms {
		s := &h.rooms[i]
		s.mu.Lock()
		n += len(s.rooms)
		s.mu.Unlock()
	}
	return n
}
