package redispresence

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/storage"
)

// Defaults and fixed parameters.
const (
	defaultTTL     = 15 * time.Second
	defaultTimeout = 2 * time.Second
	defaultPrefix  = "helpr:presence:"
	// cooldown is how long calls fail fast after a Redis failure.
	cooldown = time.Second
	// keyLifetime is how long an organisation's keys outlive its last
	// write: garbage collection for organisations nobody is connected to.
	keyLifetime = 24 * time.Hour
)

var (
	// ErrUnavailable reports a call refused without trying Redis, because
	// Redis failed less than a second ago.
	ErrUnavailable = errors.New("redispresence: redis unavailable")
	// ErrClosed reports a call after Close.
	ErrClosed = errors.New("redispresence: closed")
)

// Options configures a Directory. The zero value means the defaults.
type Options struct {
	// TTL is how long a node's entries count after its last write: a node
	// that stops takes its agents offline within TTL. 0 means 15 s.
	TTL time.Duration
	// Heartbeat is how often a node rewrites its entries while it has
	// connected agents; 0 means TTL/3, negative disables the automatic
	// heartbeat (call Beat yourself).
	Heartbeat time.Duration
	// Timeout bounds each Redis call; 0 means 2 s.
	Timeout time.Duration
	// Prefix starts every key; "" means "helpr:presence:".
	Prefix string
	// Now is the clock deadlines are computed and checked with (nil means
	// time.Now). Every node's clock must agree to well within TTL.
	Now func() time.Time
	// OnError receives heartbeat failures (nil ignores them). It must not
	// block.
	OnError func(error)
}

// Directory is one node's view of the cluster-wide presence directory.
// Create it with New; its methods are safe for concurrent use.
type Directory struct {
	rdb       *redis.Client
	node      string
	ttl       time.Duration
	beatEvery time.Duration
	timeout   time.Duration
	prefix    string
	now       func() time.Time
	onError   func(error)

	// io orders this node's writes (changes and heartbeats) and guards
	// local and dirty.
	io    sync.Mutex
	local map[string]map[string]struct{} // org → agents connected here
	dirty map[string]struct{}            // orgs whose entries in Redis may be stale

	mu       sync.Mutex // guards the fields below
	beating  bool       // the heartbeat goroutine runs
	closed   bool
	failedAt time.Time // last Redis failure (wall clock), zero after a success
	done     chan struct{}
	wg       sync.WaitGroup
}

var _ hub.PresenceDirectory = (*Directory)(nil)

// New returns the directory of node nodeID over rdb. It starts no
// goroutine until an agent connects; the heartbeat runs while this node
// has connected agents (or entries to repair). Call Close at shutdown.
func New(rdb *redis.Client, nodeID string, opts Options) *Directory {
	d := &Directory{
		rdb: rdb, node: nodeID, ttl: opts.TTL, beatEvery: opts.Heartbeat, timeout: opts.Timeout,
		prefix: opts.Prefix, now: opts.Now, onError: opts.OnError,
		local: make(map[string]map[string]struct{}), dirty: make(map[string]struct{}),
		done: make(chan struct{}),
	}
	if d.ttl <= 0 {
		d.ttl = defaultTTL
	}
	if d.beatEvery == 0 {
		d.beatEvery = d.ttl / 3
	}
	if d.timeout <= 0 {
		d.timeout = defaultTimeout
	}
	if d.prefix == "" {
		d.prefix = defaultPrefix
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d
}

// keys returns the organisation's keys in script order.
func (d *Directory) keys(orgID string) []string {
	base := d.prefix + "{" + orgID + "}:"
	return []string{base + "nodes", base + "conns", base + "away", base + "last"}
}

// SetConnected implements hub.PresenceDirectory. The change is kept on
// this node even when Redis fails, and written by the next heartbeat.
func (d *Directory) SetConnected(ctx context.Context, orgID, agentID string, connected bool) (hub.PresenceStatus, hub.PresenceStatus, error) {
	d.io.Lock()
	defer d.io.Unlock()
	if d.isClosed() {
		return "", "", ErrClosed
	}
	d.setLocal(orgID, agentID, connected)
	defer d.startBeat()
	err := ctx.Err()
	if err == nil {
		err = d.usable()
	}
	var before, after hub.PresenceStatus
	if err == nil {
		now := d.now()
		before, after, err = d.transition(ctx, setConnectedScript, orgID,
			ms(now), ms(now.Add(d.ttl)), d.node, agentID, flag(connected), keyLifetime.Milliseconds())
	}
	if err != nil {
		d.dirty[orgID] = struct{}{} // the heartbeat writes it
		return "", "", fmt.Errorf("set %s connected: %w", agentID, err)
	}
	return before, after, nil
}

// SetAway implements hub.PresenceDirectory.
func (d *Directory) SetAway(ctx context.Context, orgID, agentID string, away bool) (hub.PresenceStatus, hub.PresenceStatus, error) {
	d.io.Lock()
	defer d.io.Unlock()
	if err := d.callable(ctx); err != nil {
		return "", "", fmt.Errorf("set %s away: %w", agentID, err)
	}
	before, after, err := d.transition(ctx, setAwayScript, orgID,
		ms(d.now()), agentID, flag(away), keyLifetime.Milliseconds())
	if err != nil {
		return "", "", fmt.Errorf("set %s away: %w", agentID, err)
	}
	return before, after, nil
}

// Agents implements hub.PresenceDirectory.
func (d *Directory) Agents(ctx context.Context, orgID string) ([]hub.Presence, error) {
	if err := d.callable(ctx); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	pairs, err := d.run(ctx, agentsScript, orgID, ms(d.now())).StringSlice()
	if d.record(ctx, err) != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	out := make([]hub.Presence, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, hub.Presence{
			SubjectKind: storage.SubjectAgent, SubjectID: pairs[i], Status: hub.PresenceStatus(pairs[i+1]),
		})
	}
	return out, nil
}

// NextAgent implements hub.PresenceDirectory.
func (d *Directory) NextAgent(ctx context.Context, orgID string) (string, error) {
	if err := d.callable(ctx); err != nil {
		return "", fmt.Errorf("next agent: %w", err)
	}
	id, err := d.run(ctx, nextAgentScript, orgID, ms(d.now()), keyLifetime.Milliseconds()).Text()
	if d.record(ctx, err) != nil {
		return "", fmt.Errorf("next agent: %w", err)
	}
	return id, nil
}

// transition runs a script that returns an agent's status before and
// after a change.
func (d *Directory) transition(ctx context.Context, s *redis.Script, orgID string, args ...any) (hub.PresenceStatus, hub.PresenceStatus, error) {
	res, err := d.run(ctx, s, orgID, args...).StringSlice()
	if d.record(ctx, err) != nil {
		return "", "", err
	}
	if len(res) != 2 {
		return "", "", fmt.Errorf("script returned %d values, want 2", len(res))
	}
	return hub.PresenceStatus(res[0]), hub.PresenceStatus(res[1]), nil
}

// run runs s on the organisation's keys within the call timeout.
func (d *Directory) run(ctx context.Context, s *redis.Script, orgID string, args ...any) *redis.Cmd {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	return s.Run(ctx, d.rdb, d.keys(orgID), args...)
}

// setLocal records the agent's connection on this node. d.io is held.
func (d *Directory) setLocal(orgID, agentID string, connected bool) {
	agents := d.local[orgID]
	if connected {
		if agents == nil {
			agents = make(map[string]struct{})
			d.local[orgID] = agents
		}
		agents[agentID] = struct{}{}
		return
	}
	delete(agents, agentID)
	if len(agents) == 0 {
		delete(d.local, orgID)
	}
}

// usable returns ErrClosed after Close, ErrUnavailable within the cooldown
// after a Redis failure, else nil.
func (d *Directory) usable() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.closed:
		return ErrClosed
	case !d.failedAt.IsZero() && time.Since(d.failedAt) < cooldown:
		return ErrUnavailable
	}
	return nil
}

// callable returns the caller's context error when ctx is already done,
// else what usable returns.
func (d *Directory) callable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.usable()
}

// record notes the outcome of a Redis call made for ctx for the cooldown
// and returns err. A call cut short by its caller (ctx done) says nothing
// about Redis: it neither starts nor ends a cooldown, so one cancelled
// request does not make the directory fail fast for everyone.
func (d *Directory) record(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.failedAt = time.Now()
	} else {
		d.failedAt = time.Time{}
	}
	return err
}

// ms is t in Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// flag encodes a boolean script argument.
func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
