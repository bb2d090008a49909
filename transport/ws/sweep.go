package ws

import (
	"sync"
	"time"
)

// sweepShards is how many groups the sweeper splits connections into; it
// visits one group per tick, so the work of a sweep is spread out.
const sweepShards = 16

// sweeper drives every authenticated connection's keep-alive pings and idle
// token re-validation from one goroutine and one ticker per server, instead
// of a goroutine and two tickers per connection. Connections are assigned
// to shards round-robin; each tick visits one shard, so every connection is
// visited once per sweep period (a quarter of the shorter of the ping and
// re-validation intervals): a ping or check is at most that late. The
// goroutine runs only while connections are registered, and never makes a
// store call: re-validations that need the store go to a bounded pool.
// Safe for concurrent use.
type sweeper struct {
	ping, revalidate time.Duration

	mu     sync.Mutex
	shards [sweepShards]map[*conn]struct{}
	next   int
	n      int
	stop   chan struct{} // non-nil while the goroutine runs
}

// sweepState is a connection's schedule, touched only by the sweeper
// goroutine (and by add, before the connection is visible to it).
type sweepState struct {
	shard     int
	nextPing  time.Time
	nextCheck time.Time
}

func newSweeper(ping, revalidate time.Duration) *sweeper {
	return &sweeper{ping: ping, revalidate: revalidate}
}

// tick is the interval between two shard visits.
func (s *sweeper) tick() time.Duration {
	return max(min(s.ping, s.revalidate)/4/sweepShards, time.Millisecond)
}

// add registers c, starting the sweeper's goroutine if it was the first.
func (s *sweeper) add(c *conn) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	shard := s.next % sweepShards
	s.next++
	c.sweep = sweepState{shard: shard, nextPing: now.Add(s.ping), nextCheck: now.Add(s.revalidate)}
	if s.shards[shard] == nil {
		s.shards[shard] = make(map[*conn]struct{})
	}
	s.shards[shard][c] = struct{}{}
	s.n++
	if s.stop == nil {
		s.stop = make(chan struct{})
		go s.run(s.stop)
	}
}

// remove unregisters c, stopping the goroutine after the last one.
func (s *sweeper) remove(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	shard := s.shards[c.sweep.shard]
	if _, ok := shard[c]; !ok {
		return
	}
	delete(shard, c)
	s.n--
	if s.n == 0 {
		close(s.stop)
		s.stop = nil
	}
}

func (s *sweeper) run(stop chan struct{}) {
	t := time.NewTicker(s.tick())
	defer t.Stop()
	var batch []*conn
	for shard := 0; ; shard = (shard + 1) % sweepShards {
		select {
		case <-stop:
			return
		case now := <-t.C:
			batch = s.collect(batch[:0], shard)
			for _, c := range batch {
				s.visit(c, now)
			}
			clear(batch)
		}
	}
}

// collect copies one shard's connections into dst, so that visiting them
// does not hold the lock.
func (s *sweeper) collect(dst []*conn, shard int) []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.shards[shard] {
		dst = append(dst, c)
	}
	return dst
}

// visit re-validates c's token and pings it when they are due. It makes
// no store call and never waits on one: the check is the cached principal's
// expiry and the session cache, and a grant only the store can vouch for is
// handed to the server's re-validation pool (see conn.idleCheck).
func (s *sweeper) visit(c *conn, now time.Time) {
	if c.ended() {
		return
	}
	if !now.Before(c.sweep.nextCheck) {
		switch c.idleCheck() {
		case idleClosed:
			return
		case idleDeferred:
			// The pool's queue is full: still due, retried at the next visit.
		default:
			c.sweep.nextCheck = now.Add(s.revalidate)
		}
	}
	if !now.Before(c.sweep.nextPing) {
		c.sweep.nextPing = now.Add(s.ping)
		go c.ping(c.ctx)
	}
}
