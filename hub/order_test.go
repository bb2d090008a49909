package hub

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

func TestConcurrentSendersOnThreeNodesDeliverInOrderOnce(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, Options{SweepInterval: -1}, nil)
	v, ag := c.org.visitor(), c.org.agents
	conv := c.start(t, v)
	recs := []*recorder{
		c.joinOn(t, 0, v, conv.ID, 0),
		c.joinOn(t, 1, ag[0], conv.ID, 0),
		c.joinOn(t, 2, ag[1], conv.ID, 0),
		c.joinOn(t, 2, ag[2], conv.ID, 0),
	}
	senders := []Actor{v, ag[0], ag[1]} // sender i sends through node i
	const perSender = 25
	var wg sync.WaitGroup
	for i, a := range senders {
		wg.Go(func() {
			for j := range perSender {
				c.sendOn(t, i, a, conv.ID, fmt.Sprintf("s%d-%d", i, j))
			}
		})
	}
	wg.Wait()
	const total = perSender * 3
	c.settle(t, total, recs...)
	for i, r := range recs {
		wantSeqs(t, fmt.Sprintf("member %d", i), r.seqs(t), 1, total)
	}
	if errs := c.errs.all(); len(errs) != 0 {
		t.Errorf("OnError got %v", errs)
	}
}

// pausingStore blocks the first AppendMessageChecked after it stored, before the
// hub publishes, until release is closed.
type pausingStore struct {
	Store
	once    sync.Once
	stored  chan struct{}
	release chan struct{}
}

func (s *pausingStore) AppendMessageChecked(ctx context.Context, m storage.Message) (storage.Appended, error) {
	res, err := s.Store.AppendMessageChecked(ctx, m)
	s.once.Do(func() {
		close(s.stored)
		<-s.release
	})
	return res, err
}

func TestLaterSeqFromOneNodeWaitsForTheEarlierFromAnother(t *testing.T) {
	t.Parallel()
	ps := &pausingStore{stored: make(chan struct{}), release: make(chan struct{})}
	c := newCluster(t, 2, Options{SweepInterval: -1}, func(i int, s Store) Store {
		if i == 0 {
			ps.Store = s
			return ps
		}
		return s
	})
	v, a := c.org.visitor(), c.org.agents[0]
	conv := c.start(t, v)
	on0, on1 := c.joinOn(t, 0, v, conv.ID, 0), c.joinOn(t, 1, a, conv.ID, 0)
	var wg sync.WaitGroup
	wg.Go(func() { c.sendOn(t, 0, v, conv.ID, "first") }) // seq 1, published last
	<-ps.stored
	if got := c.sendOn(t, 1, a, conv.ID, "second"); got.Seq != 2 {
		t.Fatalf("second message got seq %d, want 2", got.Seq)
	}
	c.settle(t, 2, on0, on1) // both nodes filled seq 1 from the store
	close(ps.release)        // node 0 now publishes seq 1: a duplicate everywhere
	wg.Wait()
	c.settle(t, 2, on0, on1)
	wantSeqs(t, "member on the node that stored seq 1", on0.seqs(t), 1, 2)
	wantSeqs(t, "member on the node that stored seq 2", on1.seqs(t), 1, 2)
}

func TestDroppedPayloadsAreRecoveredFromTheStoreInOrder(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, Options{SweepInterval: -1}, nil)
	v := c.org.visitor()
	conv := c.start(t, v)
	on1, on2 := c.joinOn(t, 1, c.org.agents[0], conv.ID, 0), c.joinOn(t, 2, c.org.agents[1], conv.ID, 0)
	const total = 40
	var dropped atomic.Int64
	// Lose runs of one, two and three payloads; the last one arrives.
	c.broker.SetDrop(dropSeqs(func(seq int64) bool { return seq%10 == 3 || seq%10 >= 6 && seq < total }, &dropped))
	for i := range total {
		c.sendOn(t, 0, v, conv.ID, fmt.Sprint(i))
	}
	c.settle(t, total, on1, on2)
	wantSeqs(t, "node 1", on1.seqs(t), 1, total)
	wantSeqs(t, "node 2", on2.seqs(t), 1, total)
	if dropped.Load() == 0 {
		t.Fatal("the loss model dropped nothing")
	}
}

func TestResubscribeCatchesUpFromTheStore(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2, Options{SweepInterval: -1}, nil)
	v := c.org.visitor()
	conv := c.start(t, v)
	rec := c.joinOn(t, 1, c.org.agents[0], conv.ID, 0)
	var dropped atomic.Int64
	c.broker.SetDrop(dropSeqs(func(int64) bool { return true }, &dropped)) // the outage
	for i := range 5 {
		c.sendOn(t, 0, v, conv.ID, fmt.Sprint("lost", i))
	}
	if n := len(rec.all()); n != 0 {
		t.Fatalf("member got %d frames during the outage, want 0", n)
	}
	c.broker.SetDrop(nil)
	c.broker.Reconnect()
	c.settle(t, 5, rec)
	for i := range 3 {
		c.sendOn(t, 0, v, conv.ID, fmt.Sprint("after", i))
	}
	c.settle(t, 8, rec)
	wantSeqs(t, "member after the reconnect", rec.seqs(t), 1, 8)
}

func TestPeriodicSweepRecoversATrailingLoss(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2, Options{SweepInterval: 5 * time.Millisecond}, nil)
	v := c.org.visitor()
	conv := c.start(t, v)
	rec := c.joinOn(t, 1, c.org.agents[0], conv.ID, 0)
	var dropped atomic.Int64
	c.broker.SetDrop(dropSeqs(func(seq int64) bool { return seq == 3 }, &dropped))
	for i := range 3 {
		c.sendOn(t, 0, v, conv.ID, fmt.Sprint(i))
	}
	if dropped.Load() != 1 {
		t.Fatalf("dropped %d payloads, want 1", dropped.Load())
	}
	c.settle(t, 3, rec) // nothing but the sweep can deliver seq 3
	wantSeqs(t, "member", rec.seqs(t), 1, 3)
}

func TestJoinDuringCrossNodeTrafficGetsExactlyItsGap(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3, Options{SweepInterval: -1, ReplayPageSize: 7}, nil)
	v, a := c.org.visitor(), c.org.agents[0]
	conv := c.start(t, v)
	const before, during = 20, 30 // per sender
	for i := range before {
		c.sendOn(t, i%2, v, conv.ID, fmt.Sprint("pre", i))
	}
	var dropped atomic.Int64
	c.broker.SetDrop(dropSeqs(func(seq int64) bool { return seq%7 == 0 }, &dropped))
	started := make(chan struct{})
	var wg sync.WaitGroup
	for node, sender := range []Actor{v, a} {
		wg.Go(func() {
			for i := range during {
				if node == 0 && i == 3 {
					close(started)
				}
				c.sendOn(t, node, sender, conv.ID, fmt.Sprintf("live%d-%d", node, i))
			}
		})
	}
	<-started
	afters := []int64{0, 5, before, before + 3}
	recs := make([]*recorder, len(afters))
	for i, after := range afters {
		recs[i] = c.joinOn(t, 2, c.org.agents[1], conv.ID, after)
	}
	wg.Wait()
	c.broker.SetDrop(nil)
	const total = before + 2*during
	c.sendOn(t, 0, v, conv.ID, "last") // reveals any trailing loss
	c.settle(t, 1, recs...)
	waitFor(t, "the last message at every joiner", func() bool {
		for _, r := range recs {
			if s := r.seqs(t); s[len(s)-1] != total+1 {
				return false
			}
		}
		return !c.hubs[2].filling()
	})
	for i, r := range recs {
		wantSeqs(t, fmt.Sprintf("joined after %d", afters[i]), r.seqs(t), afters[i]+1, total+1)
	}
}

// hidingStore hides one message from ListMessages: a store whose
// sequence contract is broken (or a write not visible yet).
type hidingStore struct {
	Store
	hide int64
}

func (s *hidingStore) ListMessages(ctx context.Context, orgID, id string, after int64, limit int) ([]storage.Message, error) {
	list, err := s.Store.ListMessages(ctx, orgID, id, after, limit)
	out := list[:0]
	for _, m := range list {
		if m.Seq != s.hide {
			out = append(out, m)
		}
	}
	return out, err
}

func TestMessageMissingFromTheStoreIsSkippedAfterTheGrace(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := newCluster(t, 2, Options{SweepInterval: -1, Now: clock.Now}, func(i int, s Store) Store {
		if i == 1 {
			return &hidingStore{Store: s, hide: 2}
		}
		return s
	})
	v := c.org.visitor()
	conv := c.start(t, v)
	rec := c.joinOn(t, 1, c.org.agents[0], conv.ID, 0)
	var dropped atomic.Int64
	c.broker.SetDrop(dropSeqs(func(seq int64) bool { return seq == 2 }, &dropped))
	for i := range 3 {
		c.sendOn(t, 0, v, conv.ID, fmt.Sprint(i))
	}
	c.settle(t, 1, rec) // the fill gives up: seq 2 is missing, 3 is held
	wantSeqs(t, "member while seq 2 is missing", rec.seqs(t), 1, 1)
	clock.Add(defaultHoleGrace)
	c.sendOn(t, 0, v, conv.ID, "3")
	c.settle(t, 3, rec)
	if got := fmt.Sprint(rec.seqs(t)); got != "[1 3 4]" {
		t.Errorf("member got %s, want [1 3 4] (seq 2 skipped after the grace)", got)
	}
	errs := c.errs.all()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "missing from the store") {
		t.Errorf("OnError got %v, want one report of the missing message", errs)
	}
}

func TestSweepGoroutineLivesOnlyWhileRoomsHaveMembers(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 1, Options{}, nil)
	v := c.org.visitor()
	conv := c.start(t, v)
	h := c.hubs[0]
	running := func() bool {
		h.sweeper.mu.Lock()
		defer h.sweeper.mu.Unlock()
		return h.sweeper.stop != nil
	}
	if running() {
		t.Fatal("sweep runs before any member joined")
	}
	m1, err := h.Join(context.Background(), v, conv.ID, 0, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := h.Join(context.Background(), c.org.agents[0], conv.ID, 0, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if !running() {
		t.Error("sweep does not run while a room has members")
	}
	m1.Leave()
	m2.Leave()
	if running() {
		t.Error("sweep still runs after the last member left")
	}
}

// refusingBroker refuses subscriptions while refuse is set, like a broker
// whose server is unreachable.
type refusingBroker struct {
	*MemoryBroker
	refuse atomic.Bool
}

func (b *refusingBroker) Subscribe(channel string, fn func([]byte)) (func(), error) {
	if b.refuse.Load() {
		return nil, fmt.Errorf("subscribe %s: broker unreachable", channel)
	}
	return b.MemoryBroker.Subscribe(channel, fn)
}

func TestSweepSubscribesAgainWhatTheBrokerRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	b := &refusingBroker{MemoryBroker: NewMemoryBroker()}
	errs := &errLog{}
	h0 := New(e.store, e.codec, Options{Broker: b, NodeID: "n0"})
	h1 := New(e.store, e.codec, Options{Broker: b, NodeID: "n1", SweepInterval: -1, OnError: errs.add})
	b.refuse.Store(true)
	inbox := &recorder{}
	defer h1.SubscribeInbox(e.org.agents[0], inbox)()
	if len(errs.all()) != 1 {
		t.Fatalf("OnError got %v, want the refused subscription", errs.all())
	}
	b.refuse.Store(false)
	b.Reconnect()
	waitFor(t, "the inbox subscription", func() bool { return b.Subscriptions(inboxChannel(e.org.id)) == 1 })
	if _, err := h0.StartConversation(context.Background(), e.org.visitor(), e.org.widgetID); err != nil {
		t.Fatal(err)
	}
	if n := len(inbox.events(t, EventConversation)); n != 1 {
		t.Errorf("inbox got %d conversation events from the other node, want 1", n)
	}
}

// Joining while the broker refuses subscriptions (Redis away) still works:
// the member gets the replay and local messages at once, and other nodes'
// messages after the broker is back, in order, none lost.
func TestJoinWhileTheBrokerRefusesSubscriptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	b := &refusingBroker{MemoryBroker: NewMemoryBroker()}
	h0 := New(e.store, e.codec, Options{Broker: b, NodeID: "n0"})
	h1 := New(e.store, e.codec, Options{Broker: b, NodeID: "n1", SweepInterval: -1, OnError: (&errLog{}).add})
	ctx := context.Background()
	vis := e.org.visitor()
	conv, err := h0.StartConversation(ctx, vis, e.org.widgetID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h0.Send(ctx, vis, conv.ID, "c1", "before the outage"); err != nil {
		t.Fatal(err)
	}
	b.refuse.Store(true)
	rec := &recorder{}
	m, err := h1.Join(ctx, e.org.agents[0], conv.ID, 0, rec)
	if err != nil {
		t.Fatalf("join during a broker outage: %v", err)
	}
	defer m.Leave()
	if _, _, err := h1.Send(ctx, e.org.agents[0], conv.ID, "c2", "local, during the outage"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h0.Send(ctx, vis, conv.ID, "c3", "remote, during the outage"); err != nil {
		t.Fatal(err)
	}
	b.refuse.Store(false)
	b.Reconnect()
	waitFor(t, "three messages in order", func() bool { return len(rec.seqs(t)) >= 3 })
	if got := rec.seqs(t); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Fatalf("member got seqs %v, want [1 2 3]", got)
	}
}
