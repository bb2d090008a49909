package redisbroker

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// subscribeChunk caps the channels of one SUBSCRIBE sent when a session
// starts.
const subscribeChunk = 512

// session is one pub/sub connection, from its establishment to its loss.
type session struct {
	ps   *redis.PubSub
	seen atomic.Bool // something arrived since the watchdog last looked
	// counts tracks, per channel, the SUBSCRIBE commands written and the
	// confirmations read in this session. Redis answers a connection's
	// commands in order, so the n-th confirmation answers the n-th
	// SUBSCRIBE. Guarded by Broker.mu; dropped once they are equal.
	counts map[string]*subCount
}

// subCount is the SUBSCRIBE bookkeeping of one channel in a session.
type subCount struct{ sent, confirmed uint64 }

// sent records one more SUBSCRIBE of key and returns its ticket.
func (s *session) sent(key string) uint64 {
	c := s.counts[key]
	if c == nil {
		c = &subCount{}
		s.counts[key] = c
	}
	c.sent++
	return c.sent
}

// confirmed records one confirmation of key and returns how many there
// were; ok is false for a confirmation nothing asked for.
func (s *session) confirmed(key string) (n uint64, ok bool) {
	c := s.counts[key]
	if c == nil {
		return 0, false
	}
	c.confirmed++
	if c.confirmed >= c.sent {
		delete(s.counts, key)
	}
	return c.confirmed, true
}

// run keeps a pub/sub session alive until Close: it connects, serves the
// session until the connection fails, and reconnects after a jittered
// exponential backoff, forever.
func (b *Broker) run() {
	defer b.wg.Done()
	retries := 0
	for first := true; ; first = false {
		if !first && !b.sleep(backoff(b.opts.MinBackoff, b.opts.MaxBackoff, retries)) {
			return
		}
		sess, err := b.connect()
		if err != nil {
			if b.ctx.Err() != nil {
				return
			}
			retries++
			b.setUnavailable(err, retries)
			continue
		}
		start := time.Now()
		err = b.serve(sess)
		if b.ctx.Err() != nil {
			return
		}
		b.log.Warn().Err(err).Msg("redis pub/sub connection lost; reconnecting")
		if time.Since(start) >= b.opts.MaxBackoff {
			retries = 0
		} else {
			retries++ // a connection that keeps dropping at once backs off too
		}
	}
}

// connect opens a pub/sub connection, installs it as the live session and
// subscribes every channel that has local subscribers.
func (b *Broker) connect() (*session, error) {
	ps := b.rdb.Subscribe(b.ctx) // no channels yet: no I/O
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.SubscribeTimeout)
	defer cancel()
	if err := ps.Ping(ctx); err != nil { // dials, authenticates, selects the database
		_ = ps.Close()
		return nil, err
	}
	b.cmdMu.Lock()
	defer b.cmdMu.Unlock()
	sess, keys := b.install(ps)
	if sess == nil {
		_ = ps.Close()
		return nil, ErrClosed
	}
	for chunk := range slices.Chunk(keys, subscribeChunk) {
		b.command(ps, "subscribe", chunk...)
	}
	return sess, nil
}

// install makes ps the live session and gives every entry its ticket. It
// returns the channels to subscribe, or a nil session after Close.
func (b *Broker) install(ps *redis.PubSub) (*session, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, nil
	}
	sess := &session{ps: ps, counts: make(map[string]*subCount, len(b.entries))}
	keys := make([]string, 0, len(b.entries))
	for key, e := range b.entries {
		e.ticket = sess.sent(key)
		keys = append(keys, key)
	}
	b.sess = sess
	if b.unavailable {
		b.unavailable = false
		b.down = make(chan struct{})
	}
	if b.lost {
		b.log.Info().Int("channels", len(keys)).Msg("redis pub/sub reconnected")
	}
	b.checkResubscribedLocked() // when there is nothing to resubscribe
	return sess, keys
}

// serve reads the session's connection until it fails, dispatching
// payloads and confirmations, then ends the session.
func (b *Broker) serve(sess *session) error {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { b.watch(sess, stop) })
	defer func() {
		b.endSession(sess)
		close(stop)
		wg.Wait()
	}()
	for {
		msg, err := sess.ps.Receive(b.ctx)
		if err != nil {
			return err
		}
		sess.seen.Store(true)
		switch m := msg.(type) {
		case *redis.Message:
			b.dispatch(m.Channel, []byte(m.Payload))
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				b.confirm(sess, m.Channel)
			}
		}
	}
}

// endSession forgets the live session: every entry waits to be subscribed
// again, and the callbacks run once they all are.
func (b *Broker) endSession(sess *session) {
	b.mu.Lock()
	if b.sess == sess {
		b.sess = nil
	}
	for _, e := range b.entries {
		e.ticket = 0
		if e.active {
			e.active = false
			b.inactive++
		}
	}
	b.lost = true
	b.mu.Unlock()
	_ = sess.ps.Close()
}

// setUnavailable records a failed connection attempt: Subscribe fails fast
// until a connection is back, and waiting Subscribe calls give up.
func (b *Broker) setUnavailable(err error, retries int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lost = true
	if !b.unavailable {
		b.unavailable = true
		close(b.down)
		b.log.Warn().Err(err).Msg("redis unreachable; retrying with backoff")
		return
	}
	b.log.Debug().Err(err).Int("retries", retries).Msg("redis still unreachable")
}

// watch pings a silent connection every Options.HealthCheck and closes it
// when a ping brought nothing back, which ends the session.
func (b *Broker) watch(sess *session, stop <-chan struct{}) {
	t := time.NewTicker(b.opts.HealthCheck)
	defer t.Stop()
	pinged := false
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if sess.seen.Swap(false) {
			pinged = false
			continue
		}
		if pinged {
			b.log.Warn().Msg("redis pub/sub connection silent; reconnecting")
			_ = sess.ps.Close()
			return
		}
		pinged = true
		ctx, cancel := context.WithTimeout(b.ctx, b.opts.SubscribeTimeout)
		err := sess.ps.Ping(ctx)
		cancel()
		if err != nil {
			_ = sess.ps.Close()
			return
		}
	}
}

// sleep waits d, or returns false at once when the broker closes.
func (b *Broker) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.ctx.Done():
		return false
	}
}

// backoff returns the wait before reconnection attempt n (0-based): lo
// doubled n times, capped at hi, jittered uniformly between half and all
// of it.
func backoff(lo, hi time.Duration, n int) time.Duration {
	d := lo
	for range n {
		if d >= hi/2 {
			d = hi
			break
		}
		d *= 2
	}
	d = min(d, hi)
	half := d / 2
	return half + rand.N(d-half+1)
}
