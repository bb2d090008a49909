package hub

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// MemoryBroker is an in-process Broker: it connects several Hubs of one
// process (tests, benchmarks, single-binary demos). Publish delivers
// synchronously, on the publisher's goroutine. SetDrop and Reconnect let
// tests reproduce what a network broker does: lose payloads, and report a
// resubscription.
type MemoryBroker struct {
	mu    sync.Mutex
	subs  map[string][]*memorySub
	drop  func(channel string, payload []byte) bool
	onRes []func()
}

var (
	_ Broker       = (*MemoryBroker)(nil)
	_ Resubscriber = (*MemoryBroker)(nil)
)

// memorySub is one subscription; mu makes its calls sequential and lets
// unsubscribe wait for a call in progress.
type memorySub struct {
	mu   sync.Mutex
	fn   func([]byte)
	done bool
}

// NewMemoryBroker returns an empty in-process broker.
func NewMemoryBroker() *MemoryBroker {
	return &MemoryBroker{subs: make(map[string][]*memorySub)}
}

// Publish implements Broker: it calls every subscriber of channel, in
// turn, with one private copy of payload that they share read-only.
func (b *MemoryBroker) Publish(ctx context.Context, channel string, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	subs := b.subs[channel] // never modified in place: see Subscribe and remove
	drop := b.drop
	b.mu.Unlock()
	if len(subs) == 0 || (drop != nil && drop(channel, payload)) {
		return nil
	}
	p := slices.Clone(payload)
	for _, s := range subs {
		s.call(p)
	}
	return nil
}

// Subscribe implements Broker. A nil fn is refused, as the Redis broker
// does, instead of crashing a later publisher.
func (b *MemoryBroker) Subscribe(channel string, fn func([]byte)) (func(), error) {
	if fn == nil {
		return nil, errors.New("hub: memory broker: nil callback")
	}
	s := &memorySub{fn: fn}
	b.mu.Lock()
	b.subs[channel] = append(slices.Clip(b.subs[channel]), s)
	b.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { b.remove(channel, s) }) }, nil
}

// SetDrop installs a loss model: Publish silently discards every payload
// for which drop returns true (and still returns nil, like a pub/sub
// server that lost it). drop runs on the publisher's goroutine, must not
// keep payload, and may be called concurrently; nil loses nothing.
func (b *MemoryBroker) SetDrop(drop func(channel string, payload []byte) bool) {
	b.mu.Lock()
	b.drop = drop
	b.mu.Unlock()
}

// OnResubscribe implements Resubscriber: Reconnect calls fn.
func (b *MemoryBroker) OnResubscribe(fn func()) {
	b.mu.Lock()
	b.onRes = append(b.onRes, fn)
	b.mu.Unlock()
}

// Reconnect simulates a connection loss that has healed: it calls every
// function registered with OnResubscribe, in turn. Subscriptions stay as
// they are; use SetDrop to lose the payloads of the outage.
func (b *MemoryBroker) Reconnect() {
	b.mu.Lock()
	fns := slices.Clone(b.onRes)
	b.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Subscriptions returns how many subscriptions channel has.
func (b *MemoryBroker) Subscriptions(channel string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[channel])
}

// remove drops s from channel and waits for a call of s in progress.
func (b *MemoryBroker) remove(channel string, s *memorySub) {
	b.mu.Lock()
	list := slices.DeleteFunc(slices.Clone(b.subs[channel]), func(x *memorySub) bool { return x == s })
	if len(list) == 0 {
		delete(b.subs, channel)
	} else {
		b.subs[channel] = list
	}
	b.mu.Unlock()
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
}

// call runs the subscriber's callback unless it unsubscribed.
func (s *memorySub) call(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.fn(p)
	}
}
