package hub

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// cluster is several hubs over one SQLite store and one MemoryBroker.
type cluster struct {
	*env
	broker *MemoryBroker
	hubs   []*Hub
	errs   *errLog
}

// newCluster starts nodes hubs with opts (Broker, NodeID and OnError set
// here); store, when non-nil, wraps the shared store for node i.
func newCluster(t *testing.T, nodes int, opts Options, store func(i int, s Store) Store) *cluster {
	t.Helper()
	c := &cluster{env: newEnv(t, 3, Options{}), broker: NewMemoryBroker(), errs: &errLog{}}
	for i := range nodes {
		var s Store = c.store
		if store != nil {
			s = store(i, s)
		}
		o := opts
		o.Broker, o.NodeID, o.OnError = c.broker, fmt.Sprint("node", i), c.errs.add
		c.hubs = append(c.hubs, New(s, c.codec, o))
	}
	return c
}

// joinOn joins a fresh recorder on node i.
func (c *cluster) joinOn(t *testing.T, i int, a Actor, conversationID string, after int64) *recorder {
	t.Helper()
	rec := &recorder{}
	m, err := c.hubs[i].Join(context.Background(), a, conversationID, after, rec)
	if err != nil {
		t.Fatalf("join on node %d: %v", i, err)
	}
	t.Cleanup(m.Leave)
	return rec
}

// sendOn sends one message through node i.
func (c *cluster) sendOn(t *testing.T, i int, a Actor, conversationID, clientID string) storage.Message {
	t.Helper()
	msg, _, err := c.hubs[i].Send(context.Background(), a, conversationID, clientID, "hello "+clientID)
	if err != nil {
		t.Errorf("send %s on node %d: %v", clientID, i, err)
	}
	return msg
}

// settle waits until every recorder holds at least n messages and no hub
// is filling a gap, so that whatever the recorders hold is final.
func (c *cluster) settle(t *testing.T, n int, recs ...*recorder) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d messages at every member", n), func() bool {
		for _, r := range recs {
			if len(r.seqs(t)) < n {
				return false
			}
		}
		for _, h := range c.hubs {
			if h.filling() {
				return false
			}
		}
		return true
	})
}

// waitFor polls cond until it holds; the deadline only guards against a
// hang, it is not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// filling reports whether a fill runs in any room of the hub.
func (h *Hub) filling() bool {
	for i := range h.rooms {
		s := &h.rooms[i]
		s.mu.Lock()
		for _, r := range s.rooms {
			r.order.mu.Lock()
			f := r.order.filling
			r.order.mu.Unlock()
			if f {
				s.mu.Unlock()
				return true
			}
		}
		s.mu.Unlock()
	}
	return false
}

// errLog collects OnError reports.
type errLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errLog) add(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// dropSeqs returns a loss model for MemoryBroker.SetDrop that loses the
// room payloads of the message sequences lose accepts, counting them.
func dropSeqs(lose func(seq int64) bool, dropped *atomic.Int64) func(string, []byte) bool {
	return func(_ string, p []byte) bool {
		_, f, err := decodePayload(p)
		if err != nil || f.Seq == 0 || !lose(f.Seq) {
			return false
		}
		dropped.Add(1)
		return true
	}
}

// fakeClock is a settable clock.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Add(d time.Duration) { c.ns.Add(int64(d)) }
