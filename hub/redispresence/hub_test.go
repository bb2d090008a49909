package redispresence

import (
	"context"
	"testing"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/internal/testsvc"
)

// nodes returns hubs over one store and one memory broker, each with its
// own directory on one Redis.
func nodes(t *testing.T, s *site, names ...string) []*hub.Hub {
	t.Helper()
	rdb := newClient(t, testsvc.NewRedis(t))
	b := hub.NewMemoryBroker()
	var hubs []*hub.Hub
	for _, name := range names {
		d := newDirectory(t, rdb, name, Options{})
		hubs = append(hubs, hub.New(s.store, jsonCodec{}, hub.Options{
			Broker: b, NodeID: name, Presence: d, OnError: func(err error) { t.Errorf("%s: %v", name, err) },
		}))
	}
	return hubs
}

func TestAgentOnOneNodeIsAssignedOnAnother(t *testing.T) {
	t.Parallel()
	s := newSite(t, 2)
	hs := nodes(t, s, "node-a", "node-b")
	a, b := hs[0], hs[1]
	watcher, x := s.agents[0], s.agents[1]
	inbox := &recorder{}
	defer b.SubscribeInbox(watcher, inbox)()

	disconnect := a.Connect(x)
	if got := render(b.Presence(s.orgID)); got != x.ID+":online" {
		t.Errorf("node b's Presence = %q, want %s online", got, x.ID)
	}
	c, err := b.StartConversation(context.Background(), s.visitor(), s.widgetID)
	if err != nil {
		t.Fatal(err)
	}
	if c.AssigneeID != x.ID {
		t.Errorf("conversation started on node b assigned to %q, want %s (online on node a)", c.AssigneeID, x.ID)
	}
	dis2 := b.Connect(x) // a second node changes nothing cluster-wide
	disconnect()
	dis2()
	if got := inbox.presence(); got != x.ID+":online "+x.ID+":offline" {
		t.Errorf("node b's inbox got presence %q, want online then offline", got)
	}
	if c := startOn(t, b, s); c != "" {
		t.Errorf("assigned to %q after the agent left every node, want the queue", c)
	}
}

func TestRoundRobinAlternatesAcrossNodes(t *testing.T) {
	t.Parallel()
	s := newSite(t, 3)
	hs := nodes(t, s, "node-a", "node-b")
	x, y := s.agents[1], s.agents[2]
	defer hs[0].Connect(x)()
	defer hs[1].Connect(y)()
	var got []string
	for i := range 8 {
		got = append(got, startOn(t, hs[i%3%2], s)) // nodes a, b, a, a, b, a, …
	}
	for i, id := range got {
		if id != x.ID && id != y.ID {
			t.Fatalf("assignment %d went to %q, want %s or %s", i, id, x.ID, y.ID)
		}
		if i > 0 && id == got[i-1] {
			t.Errorf("assignments %v: %s twice in a row", got, id)
		}
	}
}

// startOn starts a conversation on h and returns its assignee.
func startOn(t *testing.T, h *hub.Hub, s *site) string {
	t.Helper()
	c, err := h.StartConversation(context.Background(), s.visitor(), s.widgetID)
	if err != nil {
		t.Fatal(err)
	}
	return c.AssigneeID
}
