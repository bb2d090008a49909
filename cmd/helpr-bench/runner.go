package main

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/wire"
)

// rxHook sits in the receive path of every message frame (tests inject
// loss or reorder with it): it must call deliver for each message it lets
// through, in the order it wants them seen.
type rxHook func(p *peer, m wire.Message, deliver func(wire.Message))

// runner is one scenario run against one deployment (helpr or the floor).
type runner struct {
	cfg     *config
	targets []string
	rest    []*restClient // one per target
	m       *metrics
	v       *verdict
	rx      rxHook
	hc      *http.Client

	peerN   atomic.Int64
	peersMu sync.Mutex
	peers   []*peer

	startMu   sync.Mutex
	startedAt map[string]time.Time // fanout: conversation → when its start was sent

	trackInbox bool        // fanout: agents record the conversations they hear of
	settledToo func() bool // an extra condition for drain, if any

	dropMu sync.Mutex
	drops  map[string]int64 // close code and reason → dropped connections

	serverPID int
	rss0      int64
	cpu0      int64
	self0     time.Duration // the harness's own CPU at the measured start
	stats     *ServerStats
	harness   *HarnessStats
}

func newRunner(cfg *config, targets []string, pid int, rx rxHook) *runner {
	hc := newHTTPClient()
	r := &runner{cfg: cfg, targets: targets, m: newMetrics(), v: newVerdict(), rx: rx, hc: hc,
		startedAt: map[string]time.Time{}, serverPID: pid, drops: map[string]int64{}}
	for _, t := range targets {
		r.rest = append(r.rest, newREST(t, hc))
	}
	return r
}

func (r *runner) nextPeerID() int { return int(r.peerN.Add(1)) }

func (r *runner) addPeer(p *peer) {
	r.peersMu.Lock()
	r.peers = append(r.peers, p)
	r.peersMu.Unlock()
}

func (r *runner) allPeers() []*peer {
	r.peersMu.Lock()
	defer r.peersMu.Unlock()
	return append([]*peer(nil), r.peers...)
}

// receive passes a message frame through the test hook, if any.
func (r *runner) receive(p *peer, m wire.Message, now time.Time) {
	if r.rx == nil {
		p.deliver(m, now)
		return
	}
	r.rx(p, m, func(m wire.Message) { p.deliver(m, time.Now()) })
}

// started records that a conversation.start was answered.
func (r *runner) started(conv string, at time.Time) {
	r.m.add(cConversations, 1)
	r.startMu.Lock()
	r.startedAt[conv] = at
	r.startMu.Unlock()
}

// dialVisitor creates a visitor session through the bench widget and
// connects it as the widget does (Origin, ?key=, auth frame). After a drop
// the peer reconnects with the same session token, as the widget does.
func (r *runner) dialVisitor(ctx context.Context, target int, widgetKey string) (*peer, error) {
	start := time.Now()
	tok, err := r.rest[target].visitorSession(ctx, widgetKey)
	if err != nil {
		return nil, fmt.Errorf("visitor session: %w", err)
	}
	r.m.observe(lSession, time.Since(start))
	opts := client.Options{Token: tok, AuthFrame: true, Origin: benchOrigin, WidgetKey: widgetKey}
	return r.dialPeer(ctx, start, "dial visitor", r.targets[target], opts)
}

// dialAgent connects an agent with a bearer token (a server-side client).
// Every agent connection of one account shares its sign-in's token.
func (r *runner) dialAgent(ctx context.Context, target int, token string) (*peer, error) {
	return r.dialPeer(ctx, time.Now(), "dial agent", r.targets[target], client.Options{Token: token})
}

// dialPeer connects with opts and waits for ready; the peer redials with
// the same options after a drop.
func (r *runner) dialPeer(ctx context.Context, start time.Time, what, base string, opts client.Options) (*peer, error) {
	redial := func(ctx context.Context) (*client.Conn, error) {
		conn, _, err := client.Dial(ctx, base, opts)
		return conn, err
	}
	conn, err := redial(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	p, err := newPeer(ctx, r, conn, redial)
	if err != nil {
		return nil, err
	}
	r.m.add(cConnects, 1)
	r.m.observe(lConnect, time.Since(start))
	return p, nil
}

// setupConcurrency bounds connection set-up jobs in flight at once. On two
// cores shared with the server more only queues in the server's accept and
// store paths.
const setupConcurrency = 32

// parallel runs job(0..n-1), at most setupConcurrency at a time; with ramp
// > 0 the starts are spread evenly over it. It stops starting jobs when ctx
// ends and returns how many failed (each failure is counted and recorded as
// a violation of kind what).
func (r *runner) parallel(ctx context.Context, n int, ramp time.Duration, what string, job func(ctx context.Context, i int) error) int64 {
	var failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, setupConcurrency)
	begin := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if ramp > 0 {
			if !sleepUntil(ctx, begin.Add(ramp*time.Duration(i)/time.Duration(n))) {
				break
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := job(jctx, i); err != nil {
				failed.Add(1)
				r.m.add(cErrors, 1)
				r.v.fail(what, err.Error())
			}
		}(i)
	}
	wg.Wait()
	return failed.Load()
}

// sleepUntil waits for t; false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// drain waits until every request was answered and every receiver caught
// up with its conversations, or until the ack timeout.
func (r *runner) drain() {
	deadline := time.Now().Add(r.cfg.ackTimeout)
	for time.Now().Before(deadline) {
		if r.settled() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settled reports whether nothing is pending and every stream is complete.
func (r *runner) settled() bool {
	if r.settledToo != nil && !r.settledToo() {
		return false
	}
	peers := r.allPeers()
	highest := highestSeqs(peers)
	for _, p := range peers {
		if p.pendingCount() > 0 {
			return false
		}
		p.mu.Lock()
		for conv, st := range p.streams {
			if !st.complete(highest[conv]) {
				p.mu.Unlock()
				return false
			}
		}
		p.mu.Unlock()
	}
	return true
}

// highestSeqs is, per conversation, the highest seq anyone saw acked or
// delivered.
func highestSeqs(peers []*peer) map[string]int64 {
	h := map[string]int64{}
	for _, p := range peers {
		p.mu.Lock()
		for c, s := range p.acked {
			h[c] = max(h[c], s)
		}
		for c, st := range p.streams {
			h[c] = max(h[c], st.last)
		}
		p.mu.Unlock()
	}
	return h
}

// closeAll closes every connection, in parallel.
func (r *runner) closeAll() {
	var wg sync.WaitGroup
	for _, p := range r.allPeers() {
		wg.Add(1)
		go func() { defer wg.Done(); p.close() }()
	}
	wg.Wait()
}

// finish checks the run's message streams (after drain, before close):
// unanswered requests, and per conversation per receiver loss, duplicates
// and reordering. members maps a conversation to the peers that joined it;
// each must have received every seq.
func (r *runner) finish(members map[string][]*peer) {
	peers := r.allPeers()
	highest := highestSeqs(peers)
	var unanswered int64
	for _, p := range peers {
		p.mu.Lock()
		unanswered += int64(len(p.pending))
		p.mu.Unlock()
	}
	if unanswered > 0 {
		r.v.fail("unanswered", fmt.Sprintf("%d requests never answered within %s", unanswered, r.cfg.ackTimeout))
	}
	for conv, ps := range members {
		for _, p := range ps {
			p.mu.Lock()
			st := p.streams[conv]
			if st == nil {
				st = &seqTracker{}
			}
			r.v.addStream(fmt.Sprintf("connection %d (%s)", p.id, p.kind), conv, st, highest[conv])
			p.mu.Unlock()
		}
	}
}

// result assembles the run's Result.
func (r *runner) result(scenario string) *Result {
	lost, dups, reord := r.v.totals()
	res := &Result{
		Scenario: scenario, Target: joinTargets(r.targets), Started: r.cfg.started,
		Seconds: r.m.seconds(), Params: r.cfg.params(),
		Machine: Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH},
		Counts: Counts{
			Connections: r.m.get(cConnects), Errors: r.m.get(cErrors), Sent: r.m.get(cMessages),
			Acked: r.m.get(cAcks), Delivered: r.m.get(cDeliveries), Lost: lost, Duplicates: dups, Reordered: reord,
			Dropped: r.m.get(cDropped), Reconnected: r.m.get(cReconnects), Pushback: r.m.get(cPushback), Replayed: r.m.get(cReplayed),
		},
		Drops: r.dropReasons(), SetupSeconds: r.m.setupSeconds(),
		Rates: r.m.rates(), Latency: r.m.latencies(), Server: r.stats, Harness: r.harness, Timeline: r.m.samples(),
		Verified: r.v.ok(), Violations: r.v.list(),
	}
	if scenario == "fanout" {
		// Requests are conversation starts; deliveries are inbox events.
		res.Counts.Sent, res.Counts.Acked, res.Counts.Delivered = r.m.get(cStarts), r.m.get(cConversations), r.m.get(cInboxEvents)
	}
	return res
}
