package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/helpr-chat/helpr/transport/wire"
)

// runConnect is `connect`: ramp --conns visitors through session creation
// and WebSocket auth, within --duration; connects/s, errors, connect latency.
func runConnect(ctx context.Context, r *runner) error {
	cfg := r.cfg
	r.baseline()
	t, err := provision(ctx, r.rest[0], cfg.orgEmail, cfg.password, 1)
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	r.beginMeasure()
	r.parallel(dctx, cfg.conns, cfg.ramp, "connect", func(ctx context.Context, i int) error {
		_, err := r.dialVisitor(ctx, i%len(r.targets), t.WidgetKey)
		return err
	})
	r.endMeasure(r.openPeers())
	if got := r.m.get(cConnects); got < int64(cfg.conns) {
		r.v.fail("incomplete", fmt.Sprintf("%d of %d visitors connected within %s", got, cfg.conns, cfg.duration))
	}
	return nil
}

// runIdle is `idle`: hold --conns authenticated visitor connections for
// --duration; with --server-pid, memory per connection and idle CPU. At the
// end every connection must still answer a ping.
func runIdle(ctx context.Context, r *runner) error {
	cfg := r.cfg
	r.baseline()
	t, err := provision(ctx, r.rest[0], cfg.orgEmail, cfg.password, 1)
	if err != nil {
		return err
	}
	r.parallel(ctx, cfg.conns, cfg.ramp, "connect", func(ctx context.Context, i int) error {
		_, err := r.dialVisitor(ctx, i%len(r.targets), t.WidgetKey)
		return err
	})
	r.beginMeasure()
	sleepFor(ctx, cfg.duration)
	r.endMeasure(r.openPeers())
	r.pingAll(ctx)
	if got := r.m.get(cConnects); got < int64(cfg.conns) {
		r.v.fail("incomplete", fmt.Sprintf("%d of %d connections held", got, cfg.conns))
	}
	return nil
}

// pingAll checks that every connection still answers.
func (r *runner) pingAll(ctx context.Context) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, setupConcurrency)
	for _, p := range r.allPeers() {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			pctx, cancel := context.WithTimeout(ctx, r.cfg.ackTimeout)
			defer cancel()
			if _, err := p.request(pctx, wire.TypePing, nil); err != nil {
				r.m.add(cErrors, 1)
				r.v.fail("dead_connection", fmt.Sprintf("connection %d: %v", p.id, err))
			}
		}()
	}
	wg.Wait()
}
