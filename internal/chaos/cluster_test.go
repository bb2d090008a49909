package chaos

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/transport/wire"
)

// cluster is n `helpr serve` nodes sharing one Redis and one MongoDB-wire
// server, the latter behind a proxy the cases cut to kill the store.
type cluster struct {
	t     *testing.T
	nodes []*node
	redis *testsvc.RedisServer
	store *proxy
	// redisPath is one node's way to Redis (spec.redisProxied), nil
	// when every node reaches Redis directly.
	redisPath *proxy
	tn        tenant
}

// newCluster starts n nodes; env[i], when given, is node i's extra
// environment. It registers one tenant.
func newCluster(t *testing.T, n int, env ...[]string) *cluster {
	t.Helper()
	return startCluster(t, spec{nodes: n, env: env, redisProxied: -1})
}

// spec says how to build a cluster.
type spec struct {
	nodes        int
	env          [][]string // env[i]: node i's extra environment
	redisProxied int        // this node reaches Redis through cluster.redisPath; -1: none
}

// startCluster starts a cluster as s says and registers one tenant.
func startCluster(t *testing.T, s spec) *cluster {
	t.Helper()
	uri, err := url.Parse(testsvc.MongoURI(t))
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, redis: testsvc.NewRedis(t), store: newProxy(t, uri.Host)}
	uri.Host = c.store.addr()
	args := []string{"--data-dir", t.TempDir(), "--store", "mongo", "--mongo-uri", uri.String(),
		"--mongo-db", testsvc.MongoDatabase(t), "--shutdown-timeout", "5s"}
	for i := range s.nodes {
		var e []string
		if i < len(s.env) {
			e = s.env[i]
		}
		redisURL := c.redis.URL()
		if i == s.redisProxied {
			redisURL = c.proxyRedis(t)
		}
		c.nodes = append(c.nodes, startNode(t, fmt.Sprintf("n%d", i+1), e, append(args, "--redis-url", redisURL)...))
	}
	if c.tn, err = registerTenant(c.nodes[0].base, "acme"); err != nil {
		t.Fatal(err)
	}
	return c
}

// proxyRedis puts a proxy in front of Redis and returns its URL.
func (c *cluster) proxyRedis(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(c.redis.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.redisPath = newProxy(t, u.Host)
	u.Host = c.redisPath.addr()
	return u.String()
}

// chat is one conversation between a visitor and an agent, each a chatter.
type chat struct {
	conv     string
	vis, agt *chatter
}

// peers returns the chat's ledgers by name.
func (ch *chat) peers() map[string]*ledger {
	return map[string]*ledger{ch.vis.name: ch.vis.led, ch.agt.name: ch.agt.led}
}

// newChat connects a visitor to node vn and the owner to node an, starts a
// conversation and makes both follow it. Both run until ctx ends.
func (c *cluster) newChat(ctx context.Context, name string, vn, an int) *chat {
	c.t.Helper()
	vtok, err := visitorToken(c.nodes[vn].base, c.tn, name)
	if err != nil {
		c.t.Fatal(err)
	}
	ch := &chat{
		vis: newChatter(ctx, name+"-visitor", client.Options{Token: vtok, WidgetKey: c.tn.widgetKey, Origin: c.tn.origin}, c.nodes, vn),
		agt: newChatter(ctx, name+"-agent", client.Options{Token: c.tn.owner.AccessToken}, c.nodes, an),
	}
	c.t.Cleanup(ch.vis.wait)
	c.t.Cleanup(ch.agt.wait)
	f, err := ch.vis.request(ctx, wire.TypeConversationStart, "start", nil)
	if err != nil || f.Type != wire.TypeConversation {
		c.t.Fatalf("conversation.start: %v %s %s", err, f.Type, f.Data)
	}
	var cv wire.Conversation
	if err := f.Decode(&cv); err != nil {
		c.t.Fatal(err)
	}
	ch.conv = cv.ID
	for _, p := range []*chatter{ch.vis, ch.agt} {
		if err := p.follow(ctx, ch.conv); err != nil {
			c.t.Fatal(err)
		}
	}
	return ch
}

// traffic is messages sent by both sides of a chat at a steady pace, each
// resent until acked.
type traffic struct {
	mu     sync.Mutex
	sent   int
	acked  map[string]int64 // client id → seq
	errs   []error
	maxLat time.Duration  // the slowest send, first attempt to ack
	codes  map[string]int // error frame codes answered (and retried)
	stop   chan struct{}
	wg     sync.WaitGroup
}

// startTraffic makes both sides of ch send one message every gap until
// stop; ctx bounds every resend.
func startTraffic(ctx context.Context, ch *chat, gap time.Duration) *traffic {
	tr := &traffic{acked: map[string]int64{}, codes: map[string]int{}, stop: make(chan struct{})}
	for _, p := range []*chatter{ch.vis, ch.agt} {
		tr.wg.Add(1)
		go tr.run(ctx, p, gap)
	}
	return tr
}

// run sends from p until stop.
func (tr *traffic) run(ctx context.Context, p *chatter, gap time.Duration) {
	defer tr.wg.Done()
	for i := 1; ; i++ {
		select {
		case <-tr.stop:
			return
		case <-ctx.Done():
			return
		case <-time.After(gap):
		}
		id := fmt.Sprintf("%s-%d", p.name, i)
		tr.mu.Lock()
		tr.sent++
		tr.mu.Unlock()
		start := time.Now()
		r, err := p.send(ctx, id, "text "+id)
		tr.mu.Lock()
		for _, code := range r.errors {
			tr.codes[code]++
		}
		if err != nil {
			tr.errs = append(tr.errs, err)
		} else {
			tr.acked[id] = r.ack.Seq
			tr.maxLat = max(tr.maxLat, time.Since(start))
		}
		tr.mu.Unlock()
	}
}

// finish stops sending, waits for the senders and returns what was sent
// and acked.
func (tr *traffic) finish() (int, map[string]int64) {
	close(tr.stop)
	tr.wg.Wait()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	acked := make(map[string]int64, len(tr.acked))
	for k, v := range tr.acked {
		acked[k] = v
	}
	return tr.sent, acked
}

// ackedCount returns how many messages were acked so far.
func (tr *traffic) ackedCount() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.acked)
}

// waitAcked waits until n more messages than now are acked, or ctx ends.
func (tr *traffic) waitAcked(ctx context.Context, n int) bool {
	want := tr.ackedCount() + n
	for tr.ackedCount() < want {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

// conclude ends a case's traffic: it lets 20 more sends be acked, stops
// the senders, and waits for every peer to hold what was acked (counting
// the recovery from since; a peer that never converges fails t). It
// returns the sends, the acked messages and the recovery time.
func (tr *traffic) conclude(ctx context.Context, t *testing.T, ch *chat, since time.Time) (int, map[string]int64, time.Duration) {
	t.Helper()
	tr.waitAcked(ctx, 20)
	sent, acked := tr.finish()
	rec, ok := settle(ctx, since, acked, ch.peers())
	if !ok {
		t.Errorf("peers did not converge within the case's deadline")
	}
	return sent, acked, rec
}

// settle waits until every peer holds every acked message, returning how
// long that took from since; ok is false when ctx ended first.
func settle(ctx context.Context, since time.Time, acked map[string]int64, peers map[string]*ledger) (time.Duration, bool) {
	for _, l := range peers {
		if !l.waitHolds(ctx, acked) {
			return time.Since(since), false
		}
	}
	return time.Since(since), true
}

// auditor joins ch's conversation from seq 0 on node i as the owner: its
// ledger is what the store holds.
func (c *cluster) auditor(ctx context.Context, ch *chat, i int) *chatter {
	c.t.Helper()
	a := newChatter(ctx, "store", client.Options{Token: c.tn.owner.AccessToken}, c.nodes, i)
	c.t.Cleanup(a.wait)
	if err := a.follow(ctx, ch.conv); err != nil {
		c.t.Fatal(err)
	}
	return a
}

// summary renders counts as k=v pairs in key order.
func summary[K comparable](prefix string, m map[K]int) string {
	keys := make([]string, 0, len(m))
	vals := map[string]int{}
	for k, v := range m {
		ks := fmt.Sprint(k)
		keys = append(keys, ks)
		vals[ks] = v
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s:%d", k, vals[k]))
	}
	return prefix + "=" + strings.Join(parts, ",")
}
