package redisbroker

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// entry is one Redis channel this node subscribes to: it lives while the
// channel has local subscribers.
type entry struct {
	subs     []*sub // never modified in place: dispatch reads a snapshot
	ticket   uint64 // which SUBSCRIBE of the current session confirms it; 0 = none sent
	active   bool   // Redis confirmed it in the current session
	ready    chan struct{}
	signaled bool // ready is closed
}

// sub is one Subscribe call; mu makes its calls sequential and lets
// unsubscribe wait for a call in progress.
type sub struct {
	mu   sync.Mutex
	fn   func([]byte)
	done bool
}

// call runs the callback unless it was unsubscribed.
func (s *sub) call(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.fn(p)
	}
}

// stop ends the subscription, waiting for a call in progress.
func (s *sub) stop() {
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
}

// Subscribe implements hub.Broker. The first local subscriber of a channel
// sends SUBSCRIBE on the node's pub/sub connection; Subscribe returns once
// Redis confirmed it (later subscribers of the channel share it). It fails
// with ErrUnavailable while Redis is known to be unreachable (at once, or
// as soon as a reconnection attempt fails while it waits), with ErrTimeout when Redis does not confirm within Options.SubscribeTimeout
// and with ErrClosed after Close; nothing is subscribed then.
//
// fn runs on the broker's receive goroutine, which serves every channel:
// it must not block, nor call Subscribe (the confirmation it would wait
// for is read by that goroutine), Close, or the unsubscribe function of
// its own subscription (which waits for fn to return).
//
// A subscriber added to a channel whose subscription is being restored
// after a connection loss returns at once; the OnResubscribe callbacks
// follow the restoration.
func (b *Broker) Subscribe(channel string, fn func([]byte)) (func(), error) {
	if fn == nil {
		return nil, errors.New("redisbroker: nil callback")
	}
	key := b.opts.Prefix + channel
	s := &sub{fn: fn}
	ready, down, err := b.register(key, s)
	if err != nil {
		return nil, err
	}
	if err := b.await(ready, down); err != nil {
		b.unregister(key, s)
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { b.unregister(key, s) }) }, nil
}

// register adds s to key's entry, creating the entry and sending its
// SUBSCRIBE when s is the first. It returns what to wait on.
func (b *Broker) register(key string, s *sub) (ready, down <-chan struct{}, err error) {
	b.cmdMu.Lock()
	defer b.cmdMu.Unlock()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, nil, ErrClosed
	}
	if b.unavailable {
		b.mu.Unlock()
		return nil, nil, ErrUnavailable
	}
	e := b.entries[key]
	var ps *redis.PubSub
	if e == nil {
		e = &entry{ready: make(chan struct{})}
		b.entries[key] = e
		b.inactive++
		if b.sess != nil {
			ps, e.ticket = b.sess.ps, b.sess.sent(key)
		}
	}
	e.subs = append(slices.Clip(e.subs), s)
	ready, down = e.ready, b.down
	b.mu.Unlock()
	if ps != nil {
		b.command(ps, "subscribe", key)
	}
	return ready, down, nil
}

// await waits until ready is closed, preferring success when several
// outcomes are there at once.
func (b *Broker) await(ready, down <-chan struct{}) error {
	t := time.NewTimer(b.opts.SubscribeTimeout)
	defer t.Stop()
	var err error
	select {
	case <-ready:
		return nil
	case <-down:
		err = ErrUnavailable
	case <-b.ctx.Done():
		err = ErrClosed
	case <-t.C:
		err = ErrTimeout
	}
	select {
	case <-ready:
		return nil
	default:
		return err
	}
}

// unregister removes s from key's entry; the last one removes the entry
// and sends its UNSUBSCRIBE. Once it returns, s's callback is not called
// again.
func (b *Broker) unregister(key string, s *sub) {
	b.cmdMu.Lock()
	b.mu.Lock()
	var ps *redis.PubSub
	if e := b.entries[key]; e != nil {
		e.subs = slices.DeleteFunc(slices.Clone(e.subs), func(x *sub) bool { return x == s })
		if len(e.subs) == 0 {
			delete(b.entries, key)
			if !e.active {
				b.inactive--
				b.checkResubscribedLocked()
			}
			if b.sess != nil && e.ticket != 0 {
				ps = b.sess.ps
			}
		}
	}
	b.mu.Unlock()
	if ps != nil {
		b.command(ps, "unsubscribe", key)
	}
	b.cmdMu.Unlock()
	s.stop()
}

// command writes SUBSCRIBE or UNSUBSCRIBE for keys on ps. A failed write
// means the connection is broken: ps is closed so that the receive loop
// starts a new session (go-redis would otherwise reconnect it silently).
// b.cmdMu is held.
func (b *Broker) command(ps *redis.PubSub, kind string, keys ...string) {
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.SubscribeTimeout)
	defer cancel()
	var err error
	if kind == "subscribe" {
		err = ps.Subscribe(ctx, keys...)
	} else {
		err = ps.Unsubscribe(ctx, keys...)
	}
	if err != nil {
		if b.ctx.Err() == nil {
			b.log.Warn().Err(err).Str("command", kind).Msg("redis pub/sub write failed; reconnecting")
		}
		_ = ps.Close()
	}
}

// dispatch hands a payload received on key to its subscribers, in turn.
func (b *Broker) dispatch(key string, p []byte) {
	b.mu.Lock()
	var subs []*sub
	if e := b.entries[key]; e != nil {
		subs = e.subs
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.call(p)
	}
}

// confirm records Redis's confirmation of a SUBSCRIBE to key in sess.
func (b *Broker) confirm(sess *session, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sess != sess {
		return
	}
	n, ok := sess.confirmed(key)
	if !ok {
		return
	}
	e := b.entries[key]
	if e == nil || e.active || e.ticket == 0 || n < e.ticket {
		return
	}
	e.active = true
	b.inactive--
	if !e.signaled {
		e.signaled = true
		close(e.ready)
	}
	b.checkResubscribedLocked()
}

// checkResubscribedLocked asks the notifier to run the OnResubscribe
// callbacks when a failure happened and every entry is active again in a
// live session. b.mu is held.
func (b *Broker) checkResubscribedLocked() {
	if !b.lost || b.sess == nil || b.inactive != 0 {
		return
	}
	b.lost = false
	select {
	case b.kick <- struct{}{}:
	default: // a notification is already pending
	}
}
