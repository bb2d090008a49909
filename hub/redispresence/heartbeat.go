package redispresence

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Beat writes this node's entries now: for every organisation it has
// connected agents in (or entries to repair), its deadline and exactly its
// agents, deleting dead nodes' entries on the way. It always tries Redis,
// even within the failure cooldown. The automatic heartbeat calls it every
// Options.Heartbeat.
func (d *Directory) Beat(ctx context.Context) error {
	d.io.Lock()
	defer d.io.Unlock()
	if d.isClosed() {
		return ErrClosed
	}
	return d.beatLocked(ctx)
}

// beatLocked rewrites every organisation this node has state for. d.io is
// held.
func (d *Directory) beatLocked(ctx context.Context) error {
	orgs := slices.Sorted(maps.Keys(d.dirty))
	for org := range d.local {
		if _, ok := d.dirty[org]; !ok {
			orgs = append(orgs, org)
		}
	}
	for i, org := range orgs {
		if err := d.beatOrg(ctx, org, slices.Sorted(maps.Keys(d.local[org]))); err != nil {
			for _, o := range orgs[i:] { // Redis is down: do not wait on it once per organisation
				d.dirty[o] = struct{}{}
			}
			return fmt.Errorf("heartbeat of %s: %w", org, err)
		}
		delete(d.dirty, org)
	}
	return nil
}

// beatOrg writes this node's entries in one organisation: agents, or a
// withdrawal when there are none.
func (d *Directory) beatOrg(ctx context.Context, orgID string, agents []string) error {
	now := d.now()
	args := []any{ms(now), ms(now.Add(d.ttl)), d.node, keyLifetime.Milliseconds()}
	for _, a := range agents {
		args = append(args, a)
	}
	return d.record(ctx, d.run(ctx, beatScript, orgID, args...).Err())
}

// startBeat starts the heartbeat goroutine when there is something to
// write, unless it runs, is disabled or the directory is closed. d.io is
// held.
func (d *Directory) startBeat() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.beating || d.closed || d.beatEvery < 0 || len(d.local)+len(d.dirty) == 0 {
		return
	}
	d.beating = true
	d.wg.Add(1)
	go d.beatLoop()
}

// beatLoop beats every interval until the node has nothing left to write
// or the directory closes.
func (d *Directory) beatLoop() {
	defer d.wg.Done()
	t := time.NewTicker(d.beatEvery)
	defer t.Stop()
	for {
		select {
		case <-d.done:
			return
		case <-t.C:
		}
		if !d.beatOnce() {
			return
		}
	}
}

// beatOnce runs one heartbeat and reports whether to keep beating.
func (d *Directory) beatOnce() bool {
	d.io.Lock()
	defer d.io.Unlock()
	if err := d.beatLocked(context.Background()); err != nil && d.onError != nil {
		d.onError(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.local) == 0 && len(d.dirty) == 0 {
		d.beating = false
		return false
	}
	return true
}

// isClosed reports whether Close was called.
func (d *Directory) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// Close stops the heartbeat and withdraws this node's entries, so its
// agents are offline for the other nodes at once. Later calls return
// ErrClosed; Close itself is idempotent. It does not close the Redis
// client.
func (d *Directory) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	close(d.done)
	d.mu.Unlock()
	d.wg.Wait()
	d.io.Lock()
	defer d.io.Unlock()
	for org := range d.local {
		d.dirty[org] = struct{}{}
	}
	clear(d.local)
	return d.beatLocked(ctx)
}
