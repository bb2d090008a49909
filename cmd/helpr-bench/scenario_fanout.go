package main

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/helpr-chat/helpr/transport/wire"
)

// startsPerVisitor is how many conversation.start frames per second one
// visitor connection sends (under helpr's default frame rate).
const startsPerVisitor = 10

// runFanout is `fanout`: --agents online agent connections of one
// organisation receive inbox events while visitors start --rate new
// conversations per second. Every agent must hear of every conversation.
func runFanout(ctx context.Context, r *runner) error {
	cfg := r.cfg
	r.trackInbox = true
	r.baseline()
	t, err := provision(ctx, r.rest[0], cfg.orgEmail, cfg.password, cfg.agentAccounts)
	if err != nil {
		return err
	}
	var agentsMu sync.Mutex
	var agents []*peer
	r.parallel(ctx, cfg.agents, cfg.ramp, "setup", func(ctx context.Context, i int) error {
		a, err := r.dialAgent(ctx, i%len(r.targets), t.Tokens[i%len(t.Tokens)].Access)
		if err == nil {
			agentsMu.Lock()
			agents = append(agents, a)
			agentsMu.Unlock()
		}
		return err
	})
	nv := int(math.Ceil(cfg.rate / startsPerVisitor))
	visitors := make([]*peer, nv)
	r.parallel(ctx, nv, 0, "setup", func(ctx context.Context, i int) error {
		v, err := r.dialVisitor(ctx, i%len(r.targets), t.WidgetKey)
		visitors[i] = v
		return err
	})
	r.settledToo = func() bool { return inboxMissing(agents, r.startedConversations()) == 0 }
	r.beginMeasure()
	r.startAll(ctx, visitors)
	r.endMeasure(r.openPeers())
	r.drain()
	r.finishFanout(agents)
	return nil
}

// startAll makes every visitor start conversations at its share of --rate
// for --duration.
func (r *runner) startAll(ctx context.Context, visitors []*peer) {
	sctx, cancel := context.WithTimeout(ctx, r.cfg.duration)
	defer cancel()
	n := 0
	for _, v := range visitors {
		if v != nil {
			n++
		}
	}
	if n == 0 {
		return
	}
	interval := time.Duration(float64(time.Second) * float64(n) / r.cfg.rate)
	begin := time.Now()
	var wg sync.WaitGroup
	k := 0
	for _, v := range visitors {
		if v == nil {
			continue
		}
		offset := interval * time.Duration(k) / time.Duration(n)
		k++
		wg.Add(1)
		go func() {
			defer wg.Done()
			pace(sctx, begin.Add(offset), interval, func() bool {
				err := v.sendAsync(sctx, pendingStart, wire.TypeConversationStart, "", nil)
				if err == nil {
					r.m.add(cStarts, 1)
				}
				return err == nil
			})
		}()
	}
	wg.Wait()
}

// startedConversations snapshots the conversations started so far.
func (r *runner) startedConversations() map[string]time.Time {
	r.startMu.Lock()
	defer r.startMu.Unlock()
	out := make(map[string]time.Time, len(r.startedAt))
	for k, v := range r.startedAt {
		out[k] = v
	}
	return out
}

// inboxMissing counts (agent, conversation) pairs not heard of yet.
func inboxMissing(agents []*peer, started map[string]time.Time) int64 {
	var n int64
	for _, a := range agents {
		a.mu.Lock()
		for c := range started {
			if _, ok := a.inbox[c]; !ok {
				n++
			}
		}
		a.mu.Unlock()
	}
	return n
}

// finishFanout records inbox latency (start sent → agent heard of it) and
// every (agent, conversation) pair that was missed.
func (r *runner) finishFanout(agents []*peer) {
	started := r.startedConversations()
	var lost int64
	for _, a := range agents {
		a.mu.Lock()
		for c, at := range started {
			seen, ok := a.inbox[c]
			if !ok {
				lost++
				continue
			}
			r.m.observe(lInbox, max(0, seen.Sub(at)))
		}
		a.mu.Unlock()
	}
	var unanswered int
	for _, p := range r.allPeers() {
		unanswered += p.pendingCount()
	}
	if unanswered > 0 {
		r.v.fail("unanswered", fmt.Sprintf("%d conversation.start never answered within %s", unanswered, r.cfg.ackTimeout))
	}
	if lost > 0 {
		r.v.mu.Lock()
		r.v.lost += lost
		r.v.mu.Unlock()
		r.v.fail("loss", fmt.Sprintf("%d inbox events never reached their agent (%d agents, %d conversations)", lost, len(agents), len(started)))
	}
}
