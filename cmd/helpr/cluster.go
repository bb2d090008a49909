package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/hub/redisbroker"
	"github.com/helpr-chat/helpr/hub/redispresence"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/security/redislimit"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/api"
	"github.com/helpr-chat/helpr/transport/ws"
)

// revocationChannel carries the ids of sessions revoked on one node to all
// the others, which evict them from their token caches and close their
// sockets.
const revocationChannel = "helpr.sessions.revoked"

// clusterCacheMaxAge bounds how long a node trusts a cached session without
// re-reading the store, so a revocation whose pub/sub message was lost (pub/sub
// is at-most-once) still takes effect on every node within this time.
const clusterCacheMaxAge = 30 * time.Second

// cluster is what a node shares with the others through Redis: event
// pub/sub, presence and assignment, rate-limit windows and session
// revocations. A nil *cluster is a single node.
type cluster struct {
	nodeID   string
	rdb      *redis.Client
	broker   *redisbroker.Broker
	presence *redispresence.Directory
	log      zerolog.Logger
	unsub    func()
	revoked  chan string   // local revocations waiting to be published
	stop     chan struct{} // ends the publisher
	done     chan struct{} // closed when the publisher has ended
}

// revocationQueue bounds the local revocations waiting for Redis. Past it
// they are dropped from the relay (and still reach the other nodes within
// clusterCacheMaxAge).
const revocationQueue = 4096

// joinCluster connects to Redis when one is configured. An unreachable
// Redis at start is an error: a node that cannot see the others must not
// serve as if it were alone.
func joinCluster(ctx context.Context, cfg Config, log zerolog.Logger) (*cluster, error) {
	if cfg.RedisURL == "" {
		return nil, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("--redis-url: %w", err)
	}
	// Fail fast while Redis is away: callers have their own timeouts, and
	// security-critical limits must refuse quickly rather than hang.
	opts.ContextTimeoutEnabled = true
	opts.DialerRetries = 1
	opts.MaxRetries = 1
	opts.DialTimeout = 2 * time.Second
	rdb := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis at %s unreachable: %w", opts.Addr, err)
	}
	nodeID := cfg.NodeID
	if nodeID == "" {
		nodeID = storage.NewID("node")
	}
	return &cluster{
		nodeID:   nodeID,
		rdb:      rdb,
		broker:   redisbroker.New(rdb, redisbroker.Options{Logger: log}),
		presence: redispresence.New(rdb, nodeID, redispresence.Options{}),
		log:      log,
	}, nil
}

// hubOptions returns the hub's options on this node.
func (c *cluster) hubOptions(now func() time.Time) hub.Options {
	if c == nil {
		return hub.Options{Now: now}
	}
	return hub.Options{Now: now, NodeID: c.nodeID, Broker: c.broker, Presence: c.presence}
}

// cacheMaxAge is the session cache's trust bound on this node.
func (c *cluster) cacheMaxAge() time.Duration {
	if c == nil {
		return 0
	}
	return clusterCacheMaxAge
}

// relayRevocations publishes every revocation that originates on this node
// and evicts those announced by other nodes.
func (c *cluster) relayRevocations(s *security.Sessions) error {
	if c == nil {
		return nil
	}
	unsub, err := c.broker.Subscribe(revocationChannel, func(p []byte) { s.EvictSession(string(p)) })
	if err != nil {
		return fmt.Errorf("subscribe to revocations: %w", err)
	}
	c.unsub = unsub
	c.revoked, c.stop, c.done = make(chan string, revocationQueue), make(chan struct{}), make(chan struct{})
	go c.publishRevocations()
	s.OnLocalRevoke(func(sessionID string) { // runs in the request: never block it
		select {
		case c.revoked <- sessionID:
		default:
			c.log.Warn().Msg("revocation relay full; other nodes drop the session within the cache age")
		}
	})
	return nil
}

// publishRevocations sends queued local revocations to the other nodes.
func (c *cluster) publishRevocations() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case id := <-c.revoked:
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if err := c.broker.Publish(ctx, revocationChannel, []byte(id)); err != nil {
				// The other nodes still drop it within clusterCacheMaxAge.
				c.log.Warn().Err(err).Msg("publish session revocation")
			}
			cancel()
		}
	}
}

// limiters returns the login and registration windows shared through
// Redis, on the node's clock now like every other window (nil fields: the
// API's in-memory defaults on a single node).
func (c *cluster) limiters(now func() time.Time) (register, loginIP, loginAccount api.Limiter) {
	if c == nil {
		return nil, nil, nil
	}
	return redislimit.New(c.rdb, "helpr:rl:register", api.DefaultRegisterLimit, api.DefaultRegisterWindow, now),
		redislimit.New(c.rdb, "helpr:rl:login_ip", api.DefaultLoginLimit, api.DefaultLoginWindow, now),
		redislimit.New(c.rdb, "helpr:rl:login_account", api.DefaultLoginLimit, api.DefaultLoginWindow, now)
}

// abuseLimiters returns the visitor-session and conversation windows
// shared through Redis, with l's numbers and one prefix each (nil: this
// node's windows only, on a single node or for a limit that is off).
// Unlike the login limits these fall back to each node's own window while
// Redis is unreachable.
func (c *cluster) abuseLimiters(l abuseLimits, now func() time.Time) (visitorIP, visitorWidget api.Limiter, conversations ws.Limiter) {
	if c == nil {
		return nil, nil, nil
	}
	if w := c.window("helpr:rl:visitor_session_ip", l.visitorIP, now); w != nil {
		visitorIP = w
	}
	if w := c.window("helpr:rl:visitor_session_widget", l.visitorWidget, now); w != nil {
		visitorWidget = w
	}
	if w := c.window("helpr:rl:conversation_visitor", l.conversations, now); w != nil {
		conversations = w
	}
	return visitorIP, visitorWidget, conversations
}

// agentCreateLimiter returns the agent-creation window shared through
// Redis, with l's numbers (nil: this node's window only, on a single node
// or when the limit is off). Like the visitor limits it falls back to each
// node's own window while Redis is unreachable.
func (c *cluster) agentCreateLimiter(l abuseLimits, now func() time.Time) api.Limiter {
	if c == nil {
		return nil
	}
	if w := c.window("helpr:rl:agent_create", l.agentCreations, now); w != nil {
		return w
	}
	return nil
}

// window is a shared window with r's numbers under prefix, nil when r is off.
func (c *cluster) window(prefix string, r rate, now func() time.Time) *redislimit.Window {
	if r.off {
		return nil
	}
	return redislimit.New(c.rdb, prefix, r.n, r.window, now)
}

// ping reports whether Redis answers (for /readyz).
func (c *cluster) ping(ctx context.Context) error {
	if c == nil {
		return nil
	}
	return c.rdb.Ping(ctx).Err()
}

// close leaves the cluster.
func (c *cluster) close() error {
	if c == nil {
		return nil
	}
	if c.unsub != nil {
		c.unsub()
		close(c.stop)
		<-c.done
	}
	// Leave presence at once, rather than when this node's entries expire.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return errors.Join(c.presence.Close(ctx), c.broker.Close(), c.rdb.Close())
}
