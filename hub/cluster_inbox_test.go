package hub_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// eventRecorder keeps the events a subscriber receives (decoded by codec).
type eventRecorder struct {
	mu  sync.Mutex
	evs []hub.Event
}

func (r *eventRecorder) Deliver(f hub.Frame) {
	var e hub.Event
	if json.Unmarshal(f.Data, &e) == nil {
		r.mu.Lock()
		r.evs = append(r.evs, e)
		r.mu.Unlock()
	}
}

// await returns the first event satisfying ok, failing after 10 s.
func (r *eventRecorder) await(t *testing.T, what string, ok func(hub.Event) bool) hub.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, e := range r.evs {
			if ok(e) {
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: not received", what)
	return hub.Event{}
}

// An agent whose console is on another node than the visitor sees every new
// message of a conversation it has not opened in its inbox (last_seq,
// preview), and another agent's read receipt, through Redis.
func TestInboxActivityCrossesNodes(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	ctx := context.Background()
	store := sharedStore(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	orgID, widgetID := storage.NewID("org"), storage.NewID("wid")
	owner := storage.Agent{ID: "agt_owner", OrgID: orgID, Name: "A", Email: "a@x.test", Role: storage.RoleOwner, CreatedAt: now}
	if err := store.CreateOrgWithOwner(ctx, storage.Organization{ID: orgID, Name: "Org", CreatedAt: now}, owner); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateWidget(ctx, storage.Widget{ID: widgetID, OrgID: orgID, Name: "W", PublishableKey: "pk_inbox", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	n0 := redisNode(t, srv.URL(), store, "node0")
	n1 := redisNode(t, srv.URL(), store, "node1")
	agent := hub.Actor{OrgID: orgID, Kind: storage.SubjectAgent, ID: owner.ID}
	rec := &eventRecorder{}
	t.Cleanup(n1.SubscribeInbox(agent, rec))
	cancel, err := n1.WatchActivity(agent, rec, hub.ActivityAll)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)

	visitor := hub.Actor{OrgID: orgID, Kind: storage.SubjectVisitor, ID: storage.NewID("vis")}
	conv, err := n0.StartConversation(ctx, visitor, widgetID)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"first", "the fourth message, not opened"} {
		if _, _, err := n0.Send(ctx, visitor, conv.ID, "c"+string(rune('0'+i)), text); err != nil {
			t.Fatal(err)
		}
	}
	e := rec.await(t, "conversation event with last_seq 2", func(e hub.Event) bool {
		return e.Type == hub.EventConversation && e.Conversation.ID == conv.ID && e.Conversation.LastSeq == 2
	})
	if e.Conversation.Preview != "the fourth message, not opened" || e.Conversation.LastSenderKind != storage.SenderVisitor {
		t.Fatalf("event on the other node: %+v", e.Conversation)
	}
	if _, err := n0.MarkRead(ctx, agent, conv.ID, 2); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "the agent's receipt", func(e hub.Event) bool {
		return e.Type == hub.EventReceipt && e.Receipt.AgentID == agent.ID && e.Receipt.Seq == 2
	})
}

// sharedStore opens the SQLite store the test's nodes share.
func sharedStore(t *testing.T) *sqlite.Store {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}
