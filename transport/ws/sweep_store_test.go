package ws

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/transport/wire"
)

// endedWith reports whether c has ended with code.
func endedWith(c *conn, code wire.CloseCode) bool {
	e := c.why.Load()
	return c.ended() && e != nil && e.code == websocket.StatusCode(code)
}

// The sweeper makes no store call on its own goroutine: with a store that
// does not answer, a sweep over connections whose grants went stale still
// completes (their re-validation waits in the pool), and a later sweep
// still closes connections whose token expired, by the principal cached on
// the connection, without reading the store.
func TestSweepMakesNoStoreCallOnItsGoroutine(t *testing.T) {
	f := newSweepFixture(t, 30*time.Second)
	hash, p := f.session(t)
	conns := []*conn{f.conn(hash, p), f.conn(hash, p)}
	release := f.store.block()
	defer f.srv.revalidate.wait()
	defer release()
	reads := f.store.reads.Load()

	f.clk.Add(31 * time.Second) // stale: only the store can vouch for the grant
	f.sweep(conns)              // returns although the store never answers
	for _, c := range conns {
		if c.ended() {
			t.Fatal("a stale grant closed a connection before the store answered")
		}
	}
	f.clk.Add(time.Hour) // past the access token's expiry
	f.sweep(conns)
	for _, c := range conns {
		if !endedWith(c, wire.CloseTokenExpired) {
			t.Fatalf("an expired token left open or closed with %+v, want 4003", c.why.Load())
		}
	}
	if got := f.store.reads.Load() - reads; got > 1 {
		t.Fatalf("%d store reads, want at most the pool's one", got)
	}
}

// N connections of one session cause one store read per re-validation
// round, and every one of them gets the result.
func TestSweepReadsTheStoreOncePerSession(t *testing.T) {
	f := newSweepFixture(t, 30*time.Second)
	var conns []*conn
	for range 2 {
		hash, p := f.session(t)
		for range 8 {
			conns = append(conns, f.conn(hash, p))
		}
	}
	reads := f.store.reads.Load()
	for round := int64(1); round <= 2; round++ {
		f.clk.Add(31 * time.Second)
		release := f.store.block() // every connection is visited while the reads are in flight
		f.sweep(conns)
		release()
		f.srv.revalidate.wait()
		f.sweep(conns) // the grants are fresh again: no read
		if got := f.store.reads.Load() - reads; got != 2*round {
			t.Fatalf("round %d: %d store reads for 2 sessions of 8 connections, want %d", round, got, 2*round)
		}
	}
	for _, c := range conns {
		if c.ended() {
			t.Fatal("a valid session's connection was closed")
		}
	}
}

// A session revoked where this node was never told (the revocation push
// lost) is closed by the stale-grant re-check, with 4002; a revocation
// pushed to this node closes at once, without a sweep.
func TestSweepClosesARevokedSessionWhosePushWasLost(t *testing.T) {
	ctx := context.Background()
	f := newSweepFixture(t, 30*time.Second)
	lostHash, lost := f.session(t)
	pushedHash, pushed := f.session(t)
	a, b := f.conn(lostHash, lost), f.conn(pushedHash, pushed)

	if err := f.raw.RevokeSession(ctx, lost.SessionID, f.clk.Now()); err != nil { // another node, message lost
		t.Fatal(err)
	}
	if err := f.sessions.Revoke(ctx, pushed.SessionID); err != nil {
		t.Fatal(err)
	}
	if !endedWith(b, wire.CloseSessionRevoked) {
		t.Fatalf("a pushed revocation left the socket open or closed it with %+v", b.why.Load())
	}
	f.sweep([]*conn{a})
	f.srv.revalidate.wait()
	if a.ended() {
		t.Fatal("closed before its cached grant went stale (the bound is the cache age)")
	}
	f.clk.Add(30 * time.Second)
	f.sweep([]*conn{a})
	f.srv.revalidate.wait()
	if !endedWith(a, wire.CloseSessionRevoked) {
		t.Fatalf("a revoked session whose push was lost: %+v, want closed with 4002", a.why.Load())
	}
}

// A store outage during re-validation is no sign-out: the socket closes
// with 1013 (retry with the same credentials), never 4001/4002.
func TestSweepStoreOutageClosesWithTryAgain(t *testing.T) {
	f := newSweepFixture(t, 30*time.Second)
	hash, p := f.session(t)
	c := f.conn(hash, p)
	down := errors.New("store down")
	f.store.fail.Store(&down)
	f.clk.Add(31 * time.Second)
	f.sweep([]*conn{c})
	f.srv.revalidate.wait()
	if !endedWith(c, wire.CloseTryAgain) {
		t.Fatalf("store outage: %+v, want closed with 1013", c.why.Load())
	}
}

// A full pool does not block the sweep: a connection that finds the queue
// full stays due and is re-validated at a later visit.
func TestSweepDoesNotBlockOnAFullPool(t *testing.T) {
	f := newSweepFixture(t, 30*time.Second)
	started, unblock := make(chan struct{}, 8), make(chan struct{})
	validate := func(ctx context.Context, hash [32]byte) error {
		started <- struct{}{}
		<-unblock
		_, err := f.sessions.ValidateHash(ctx, hash)
		return err
	}
	f.srv.revalidate = newRevalidator(1, 1, validate, f.srv.revalidated)
	var conns []*conn
	for range 3 {
		hash, p := f.session(t)
		conns = append(conns, f.conn(hash, p))
	}
	f.clk.Add(31 * time.Second)
	now := f.clk.Now()
	visit := func(c *conn) { f.srv.sweep.visit(c, now) }
	for _, c := range conns {
		c.sweep.nextPing = now.Add(time.Hour)
	}
	visit(conns[0])
	<-started // the one worker is busy with it
	visit(conns[1])
	visit(conns[2]) // the queue (1) is full: must not wait
	if !conns[1].sweep.nextCheck.After(now) || conns[2].sweep.nextCheck.After(now) {
		t.Fatalf("queued next check %v, deferred %v: want the queued one rescheduled, the deferred one still due",
			conns[1].sweep.nextCheck, conns[2].sweep.nextCheck)
	}
	close(unblock)
	f.srv.revalidate.wait()
	visit(conns[2]) // retried at the next visit
	f.srv.revalidate.wait()
	if got := len(started); got != 2 {
		t.Fatalf("%d more re-validations after the first, want 2 (the queued and the retried one)", got)
	}
	for _, c := range conns {
		if c.ended() {
			t.Fatal("a valid session's connection was closed")
		}
	}
}
