package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/hub/redisbroker"
	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
)

// seqRecorder keeps the message sequences a member receives.
type seqRecorder struct {
	mu   sync.Mutex
	seqs []int64
}

func (r *seqRecorder) Deliver(f hub.Frame) {
	if f.Seq > 0 {
		r.mu.Lock()
		r.seqs = append(r.seqs, f.Seq)
		r.mu.Unlock()
	}
}

func (r *seqRecorder) got() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int64(nil), r.seqs...)
}

type codec struct{}

func (codec) Encode(e hub.Event) ([]byte, error) { return json.Marshal(e) }

// redisNode is a hub whose broker is Redis pub/sub.
func redisNode(t *testing.T, url string, store hub.Store, name string) *hub.Hub {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	b := redisbroker.New(rdb, redisbroker.Options{
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, PublishTimeout: 500 * time.Millisecond,
	})
	t.Cleanup(func() {
		_ = b.Close()
		_ = rdb.Close()
	})
	// Only the catch-up after the broker's reconnection may recover what the
	// outage lost: the periodic sweep is off.
	return hub.New(store, codec{}, hub.Options{Broker: b, NodeID: name, SweepInterval: -1})
}

func TestThreeNodesOverRedisDeliverInOrderAcrossARestart(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	ctx := context.Background()
	store := sharedStore(t)
	var err error
	now := time.Now().UTC().Truncate(time.Millisecond)
	orgID, widgetID := storage.NewID("org"), storage.NewID("wid")
	var agents []hub.Actor
	for i := range 2 {
		ag := storage.Agent{ID: fmt.Sprint("agt_", i), OrgID: orgID, Name: "A", Email: fmt.Sprint(i, "@x.test"), Role: storage.RoleOwner, CreatedAt: now}
		if i == 0 {
			err = store.CreateOrgWithOwner(ctx, storage.Organization{ID: orgID, Name: "Org", CreatedAt: now}, ag)
		} else {
			ag.Role = storage.RoleAgent
			err = store.CreateAgent(ctx, ag)
		}
		if err != nil {
			t.Fatal(err)
		}
		agents = append(agents, hub.Actor{OrgID: orgID, Kind: storage.SubjectAgent, ID: ag.ID})
	}
	if err := store.CreateWidget(ctx, storage.Widget{ID: widgetID, OrgID: orgID, Name: "W", PublishableKey: "pk_x", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var nodes []*hub.Hub
	for i := range 3 {
		nodes = append(nodes, redisNode(t, srv.URL(), store, fmt.Sprint("node", i)))
	}
	visitor := hub.Actor{OrgID: orgID, Kind: storage.SubjectVisitor, ID: storage.NewID("vis")}
	conv, err := nodes[0].StartConversation(ctx, visitor, widgetID)
	if err != nil {
		t.Fatal(err)
	}
	members := []hub.Actor{visitor, agents[0], agents[1]} // member i on node i
	recs := make([]*seqRecorder, 3)
	for i, a := range members {
		recs[i] = &seqRecorder{}
		m, err := nodes[i].Join(ctx, a, conv.ID, 0, recs[i])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Leave)
	}
	sent := 0
	burst := func(phase string, n int) { // node 0 and node 1 send concurrently
		var wg sync.WaitGroup
		for node := range 2 {
			wg.Go(func() {
				for j := range n {
					if _, _, err := nodes[node].Send(ctx, members[node], conv.ID, fmt.Sprint(phase, node, "-", j), "hi"); err != nil {
						t.Errorf("send: %v", err) // durable in the store even with Redis down
					}
				}
			})
		}
		wg.Wait()
		sent += 2 * n
	}
	waitAll := func(what string) {
		deadline := time.Now().Add(20 * time.Second)
		for _, r := range recs {
			for len(r.got()) < sent {
				if time.Now().After(deadline) {
					t.Fatalf("%s: members hold %d, %d, %d of %d messages", what, len(recs[0].got()), len(recs[1].got()), len(recs[2].got()), sent)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	burst("before", 10)
	waitAll("before the outage")
	srv.Stop()
	burst("during", 5)
	srv.Start()
	waitAll("after the restart")
	burst("after", 5)
	waitAll("after the catch-up")
	time.Sleep(50 * time.Millisecond) // let a duplicate, if any, arrive before checking
	for i, r := range recs {
		got := r.got()
		for j, s := range got {
			if s != int64(j+1) {
				t.Fatalf("member on node %d: got %v, want 1..%d in order, each once", i, got, sent)
			}
		}
		if len(got) != sent {
			t.Errorf("member on node %d got %d messages, want %d", i, len(got), sent)
		}
	}
}
