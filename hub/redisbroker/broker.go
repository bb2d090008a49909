// Package redisbroker connects hub nodes through Redis pub/sub.
//
// A Broker holds one Redis pub/sub connection per node and multiplexes
// every channel the node's hub subscribes to over it: SUBSCRIBE with a
// channel's first local subscriber, UNSUBSCRIBE with its last. Publishing
// goes through the client's connection pool. When the pub/sub connection
// drops, a loop reconnects forever with exponential backoff and jitter,
// subscribes every live channel again and then calls the OnResubscribe
// callbacks, so the hub can recover from storage what was published in
// between (pub/sub itself is at-most-once).
package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
)

// Defaults for the zero fields of Options.
const (
	DefaultMinBackoff       = 50 * time.Millisecond
	DefaultMaxBackoff       = 5 * time.Second
	DefaultPublishTimeout   = time.Second
	DefaultSubscribeTimeout = 5 * time.Second
	DefaultHealthCheck      = 15 * time.Second
)

// Errors the Broker returns; callers add the channel concerned.
var (
	// ErrClosed reports a call after Close.
	ErrClosed = errors.New("redisbroker: closed")
	// ErrUnavailable reports a Publish or Subscribe while Redis is known to
	// be unreachable (the last connection attempt failed). Nothing is
	// published or subscribed; the OnResubscribe callbacks run once Redis
	// is back, which is the moment to try again.
	ErrUnavailable = errors.New("redisbroker: redis unreachable")
	// ErrTimeout reports a subscription Redis did not confirm within
	// Options.SubscribeTimeout. Nothing is subscribed.
	ErrTimeout = errors.New("redisbroker: subscription not confirmed in time")
)

// Options configures a Broker. The zero value means the defaults above,
// no channel prefix and no logging.
type Options struct {
	// Logger receives connection losses and reconnections (never payloads).
	Logger zerolog.Logger
	// Prefix is prepended to every channel name on Redis, so several
	// deployments can share one Redis ("" means none).
	Prefix string
	// MinBackoff and MaxBackoff bound the exponential wait between
	// reconnection attempts (jittered between half and all of it).
	MinBackoff, MaxBackoff time.Duration
	// PublishTimeout bounds each Publish, on top of its context, so a hub
	// never waits long on a Redis that is down.
	PublishTimeout time.Duration
	// SubscribeTimeout bounds how long Subscribe waits for Redis to confirm
	// a subscription, and each command written on the pub/sub connection.
	SubscribeTimeout time.Duration
	// HealthCheck is how long the pub/sub connection may stay silent before
	// it is pinged; without an answer within another HealthCheck it is
	// dropped and re-established.
	HealthCheck time.Duration
}

// withDefaults returns o with its zero fields set to the defaults.
func (o Options) withDefaults() Options {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&o.MinBackoff, DefaultMinBackoff)
	set(&o.MaxBackoff, DefaultMaxBackoff)
	set(&o.PublishTimeout, DefaultPublishTimeout)
	set(&o.SubscribeTimeout, DefaultSubscribeTimeout)
	set(&o.HealthCheck, DefaultHealthCheck)
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	return o
}

// Broker is a hub.Broker and hub.Resubscriber over Redis pub/sub. Create
// it with New and stop it with Close; all methods are safe for concurrent
// use.
type Broker struct {
	rdb    *redis.Client
	opts   Options
	log    zerolog.Logger
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	kick   chan struct{} // asks the notifier to run the OnResubscribe callbacks
	wg     sync.WaitGroup

	// cmdMu orders subscription decisions with the SUBSCRIBE and
	// UNSUBSCRIBE commands that carry them, so the wire order of a
	// channel's commands is the order in which they were decided.
	cmdMu sync.Mutex

	mu          sync.Mutex
	entries     map[string]*entry // by Redis channel name
	inactive    int               // entries not yet confirmed in the current session
	sess        *session          // the live connection; nil while there is none
	unavailable bool              // the last connection attempt failed
	down        chan struct{}     // closed when unavailable becomes true
	lost        bool              // a failure happened: notify once all is active again
	resub       []func()
	closed      bool
}

var (
	_ hub.Broker       = (*Broker)(nil)
	_ hub.Resubscriber = (*Broker)(nil)
)

// New returns a broker publishing through rdb and holding one pub/sub
// connection of rdb's. It connects in the background; Subscribe waits for
// that first connection. The caller keeps ownership of rdb and closes it
// after Close.
func New(rdb *redis.Client, opts Options) *Broker {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	b := &Broker{
		rdb: rdb, opts: opts, log: opts.Logger, ctx: ctx, cancel: cancel,
		kick:    make(chan struct{}, 1),
		entries: make(map[string]*entry),
		down:    make(chan struct{}),
	}
	b.wg.Add(2)
	go b.run()
	go b.notify()
	return b
}

// Publish implements hub.Broker with one PUBLISH, bounded by
// Options.PublishTimeout. While the pub/sub loop knows Redis is
// unreachable (its last connection attempt failed) it fails at once with
// ErrUnavailable, so a hub never waits on a Redis that is down (also in
// the moments after Redis is back and before the loop reconnected: such
// payloads are lost like any pub/sub loss, and the hub recovers them from
// storage).
// Payloads one goroutine publishes on a channel reach subscribers in order. The client's retry policy applies: a PUBLISH
// whose connection broke after Redis executed it may be retried and then
// delivered twice (the hub drops messages it already has by sequence).
func (b *Broker) Publish(ctx context.Context, channel string, payload []byte) error {
	if err := b.usable(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.PublishTimeout)
	defer cancel()
	if err := b.rdb.Publish(ctx, b.opts.Prefix+channel, payload).Err(); err != nil {
		return fmt.Errorf("redisbroker: %w", err)
	}
	return nil
}

// OnResubscribe implements hub.Resubscriber. After the pub/sub connection
// was lost (or a connection attempt failed), fn runs once a new connection
// holds every subscription again. Callbacks run one after another on a
// goroutine of the broker, never concurrently with each other; losses that
// happen before they ran are coalesced into one call. fn may call
// Subscribe, Publish and unsubscribe functions, but not Close (which waits
// for it).
func (b *Broker) OnResubscribe(fn func()) {
	if fn == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.resub = append(b.resub, fn)
}

// Close stops the broker: it drops the pub/sub connection, stops
// reconnecting and waits for its goroutines (a running OnResubscribe
// callback included). Later Publish and Subscribe calls fail with
// ErrClosed; unsubscribe functions stay callable. It is idempotent and
// does not close the Redis client.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.cancel()
	var ps *redis.PubSub
	if b.sess != nil {
		ps = b.sess.ps
	}
	b.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
	b.wg.Wait()
	return nil
}

// usable returns ErrClosed after Close, ErrUnavailable while Redis is
// known to be unreachable, and nil otherwise.
func (b *Broker) usable() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return ErrClosed
	case b.unavailable:
		return ErrUnavailable
	}
	return nil
}

// notify runs the OnResubscribe callbacks each time the loop asks.
func (b *Broker) notify() {
	defer b.wg.Done()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-b.kick:
		}
		b.mu.Lock()
		fns := b.resub[:len(b.resub):len(b.resub)]
		b.mu.Unlock()
		for _, fn := range fns {
			fn()
		}
	}
}
