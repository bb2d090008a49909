package redisbroker

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// jsonCodec encodes hub events as JSON.
type jsonCodec struct{}

func (jsonCodec) Encode(e hub.Event) ([]byte, error) { return json.Marshal(e) }

// member is a hub.Subscriber recording the messages it receives.
type member struct {
	mu     sync.Mutex
	texts  []string
	seqs   []int64
	notify chan struct{}
}

func newMember() *member { return &member{notify: make(chan struct{}, 1)} }

func (m *member) Deliver(f hub.Frame) {
	var e hub.Event
	if err := json.Unmarshal(f.Data, &e); err != nil || e.Type != hub.EventMessage {
		return
	}
	m.mu.Lock()
	m.texts = append(m.texts, e.Message.Text)
	m.seqs = append(m.seqs, e.Message.Seq)
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// waitFor waits for n messages and returns their texts and sequences.
func (m *member) waitFor(t *testing.T, n int) ([]string, []int64) {
	t.Helper()
	deadline := time.After(guard)
	for {
		m.mu.Lock()
		texts, seqs := append([]string(nil), m.texts...), append([]int64(nil), m.seqs...)
		m.mu.Unlock()
		if len(texts) >= n {
			return texts, seqs
		}
		select {
		case <-m.notify:
		case <-deadline:
			t.Fatalf("waited %v for %d messages, got %q", guard, n, texts)
		}
	}
}

func TestHubsOnTwoNodesChatThroughRedis(t *testing.T) {
	t.Parallel()
	url := redisServer(t).URL()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	orgID, widgetID, agent := seed(t, store)
	brokerA, _ := newBroker(t, url, Options{})
	brokerB, _ := newBroker(t, url, Options{})
	onErr := func(err error) { t.Errorf("hub error: %v", err) }
	hubA := hub.New(store, jsonCodec{}, hub.Options{Broker: brokerA, NodeID: "node-a", OnError: onErr})
	hubB := hub.New(store, jsonCodec{}, hub.Options{Broker: brokerB, NodeID: "node-b", OnError: onErr})

	ctx := context.Background()
	visitor := hub.Actor{OrgID: orgID, Kind: storage.SubjectVisitor, ID: storage.NewID("vis")}
	conv, err := hubA.StartConversation(ctx, visitor, widgetID)
	if err != nil {
		t.Fatal(err)
	}
	onA, onB := newMember(), newMember()
	msA, err := hubA.Join(ctx, visitor, conv.ID, 0, onA)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(msA.Leave)
	msB, err := hubB.Join(ctx, agent, conv.ID, 0, onB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(msB.Leave)

	const n = 20
	for i := range n {
		if _, _, err := hubA.Send(ctx, visitor, conv.ID, fmt.Sprint("v", i), fmt.Sprint("visitor ", i)); err != nil {
			t.Fatal(err)
		}
	}
	texts, seqs := onB.waitFor(t, n)
	for i := range n {
		if texts[i] != fmt.Sprint("visitor ", i) || seqs[i] != int64(i+1) {
			t.Fatalf("agent on node B got message %d = %q seq %d, want %q seq %d", i, texts[i], seqs[i], fmt.Sprint("visitor ", i), i+1)
		}
	}
	if _, _, err := hubB.Send(ctx, agent, conv.ID, "a0", "agent reply"); err != nil {
		t.Fatal(err)
	}
	texts, seqs = onA.waitFor(t, n+1)
	if len(texts) != n+1 || texts[n] != "agent reply" || seqs[n] != n+1 {
		t.Fatalf("visitor on node A got %q (seqs %v), want its %d messages then the reply", texts, seqs, n)
	}
}

// seed stores an organisation with its owner and a widget.
func seed(t *testing.T, s *sqlite.Store) (orgID, widgetID string, agent hub.Actor) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	org := storage.Organization{ID: storage.NewID("org"), Name: "Org", CreatedAt: now}
	owner := storage.Agent{
		ID: storage.NewID("agt"), OrgID: org.ID, Name: "Owner", Email: storage.NewID("a") + "@example.com",
		Role: storage.RoleOwner, CreatedAt: now,
	}
	if err := s.CreateOrgWithOwner(ctx, org, owner); err != nil {
		t.Fatal(err)
	}
	w := storage.Widget{ID: storage.NewID("wid"), OrgID: org.ID, Name: "Site", PublishableKey: storage.NewID("pk"), CreatedAt: now}
	if err := s.CreateWidget(ctx, w); err != nil {
		t.Fatal(err)
	}
	return org.ID, w.ID, hub.Actor{OrgID: org.ID, Kind: storage.SubjectAgent, ID: owner.ID}
}
