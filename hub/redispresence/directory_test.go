package redispresence

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

func TestStoppedNodeDropsItsAgentsAfterTheTTL(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, testsvc.NewRedis(t))
	clock := newFakeClock()
	const ttl = 15 * time.Second
	opts := Options{Now: clock.Now, TTL: ttl, Heartbeat: -1}
	a, b := newDirectory(t, rdb, "node-a", opts), newDirectory(t, rdb, "node-b", opts)
	ctx := context.Background()
	const org = "org_1"
	_, _, err := a.SetConnected(ctx, org, "agt_a", true) // node a stops beating after this
	must(t, err)
	_, _, err = b.SetConnected(ctx, org, "agt_b", true)
	must(t, err)

	clock.Add(ttl / 2)
	must(t, b.Beat(ctx)) // b is alive: its deadline moves on
	clock.Add(ttl/2 - time.Millisecond)
	wantAgents(t, "node b just before a's deadline", b, org, "agt_a:online agt_b:online")
	clock.Add(time.Millisecond)
	wantAgents(t, "node b at a's deadline", b, org, "agt_b:online")
	for range 3 {
		if id, err := b.NextAgent(ctx, org); err != nil || id != "agt_b" {
			t.Errorf("NextAgent = %q, %v; want agt_b, the only live agent", id, err)
		}
	}
	must(t, b.Beat(ctx)) // deletes node a's entries
	if n := rdb.ZCard(ctx, b.keys(org)[1]).Val(); n != 1 {
		t.Errorf("conns holds %d entries after b's heartbeat, want 1 (a's deleted)", n)
	}
	must(t, a.Beat(ctx)) // a comes back: its agents with it
	wantAgents(t, "node b after a's heartbeat", b, org, "agt_a:online agt_b:online")
}

func TestHeartbeatLoopKeepsEntriesAlive(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, testsvc.NewRedis(t))
	clock := newFakeClock()
	const ttl = 15 * time.Second
	a := newDirectory(t, rdb, "node-a", Options{Now: clock.Now, TTL: ttl, Heartbeat: time.Millisecond})
	b := newDirectory(t, rdb, "node-b", Options{Now: clock.Now, TTL: ttl, Heartbeat: -1})
	ctx := context.Background()
	const org = "org_1"
	_, _, err := a.SetConnected(ctx, org, "agt_a", true)
	must(t, err)
	for range 3 { // each step passes the deadline the node wrote before it
		clock.Add(ttl - time.Second)
		want := float64(clock.Now().Add(ttl).UnixMilli())
		waitFor(t, "a heartbeat at the new time", func() bool {
			return rdb.ZScore(ctx, a.keys(org)[0], "node-a").Val() == want
		})
		wantAgents(t, "node b", b, org, "agt_a:online")
	}
	_, _, err = a.SetConnected(ctx, org, "agt_a", false)
	must(t, err)
	waitFor(t, "the heartbeat to stop", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return !a.beating
	})
}

func TestCloseWithdrawsTheNode(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, testsvc.NewRedis(t))
	a, b := New(rdb, "node-a", Options{}), newDirectory(t, rdb, "node-b", Options{})
	ctx := context.Background()
	for _, org := range []string{"org_1", "org_2"} {
		_, _, err := a.SetConnected(ctx, org, "agt_a", true)
		must(t, err)
	}
	must(t, a.Close(ctx))
	must(t, a.Close(ctx)) // idempotent
	wantAgents(t, "node b, org_1", b, "org_1", "")
	wantAgents(t, "node b, org_2", b, "org_2", "")
	if _, _, err := a.SetConnected(ctx, "org_1", "agt_a", true); !errors.Is(err, ErrClosed) {
		t.Errorf("SetConnected after Close: %v, want ErrClosed", err)
	}
}

func TestBeatRepairsWhatRedisLost(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	rdb := newClient(t, srv)
	a := newDirectory(t, rdb, "node-a", Options{Heartbeat: -1})
	ctx := context.Background()
	const org = "org_1"
	_, _, err := a.SetConnected(ctx, org, "agt_1", true)
	must(t, err)
	_, _, err = a.SetConnected(ctx, org, "agt_2", true)
	must(t, err)

	srv.Stop()
	if _, _, err := a.SetConnected(ctx, org, "agt_3", true); err == nil {
		t.Fatal("SetConnected with Redis down succeeded")
	}
	if _, _, err := a.SetConnected(ctx, org, "agt_1", false); !errors.Is(err, ErrUnavailable) {
		t.Errorf("SetConnected right after a failure: %v, want ErrUnavailable (fail fast)", err)
	}
	if err := a.Beat(ctx); err == nil {
		t.Error("Beat with Redis down succeeded")
	}
	srv.Start() // empty: nothing was persisted
	wantAgentsEventually(t, a, org, "")
	must(t, a.Beat(ctx))
	wantAgents(t, "node a after its heartbeat", a, org, "agt_2:online agt_3:online")
}

// wantAgentsEventually waits out the failure cooldown, then checks.
func wantAgentsEventually(t *testing.T, d *Directory, orgID, want string) {
	t.Helper()
	waitFor(t, "the cooldown", func() bool { return d.usable() == nil })
	wantAgents(t, "node after the restart", d, orgID, want)
}

// waitFor polls cond until it holds; the deadline only guards against a
// hang.
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
