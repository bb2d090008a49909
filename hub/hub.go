package hub

import (
	"context"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

const (
	shardCount      = 64  // room and presence registries are split by hashed key
	defaultPageSize = 200 // messages per replay query
	maxPageSize     = 500 // storage.MessageStore caps ListMessages here
)

// Options configures a Hub. The zero value is a single-node hub on the
// system clock.
type Options struct {
	// Now is the clock (nil means time.Now). Times are stored in UTC,
	// truncated to the millisecond.
	Now func() time.Time
	// Broker connects this hub to other nodes; nil means single node.
	Broker Broker
	// NodeID names this node on the broker; "" means a random id.
	NodeID string
	// ReplayPageSize is how many messages Join reads per query; <= 0 means
	// 200, and it is capped at 500 (the store's limit).
	ReplayPageSize int
	// SweepInterval is how often a hub with a Broker compares each
	// conversation room that has local members with the store, to deliver
	// messages whose broker payloads were lost and that no later message
	// revealed (see the package documentation for the bound). 0 means 5 s;
	// negative disables the periodic sweep (the sweep after a broker
	// reconnect still runs).
	SweepInterval time.Duration
	// Presence is where agents' presence is kept and assignees are picked;
	// nil means NewMemoryPresence(), which sees this node only. Several
	// nodes share presence through a cluster-wide directory
	// (hub/redispresence).
	Presence PresenceDirectory
	// OnError receives errors that have no caller to return to: a broker
	// publish or subscribe failure, an undecodable broker payload, an encode
	// failure after a durable write, a failed store read while recovering
	// lost messages, a presence directory failure. nil ignores them. It may
	// be called concurrently and must not block.
	OnError func(error)
	// Notify receives every durable chat change (see Notice): a
	// conversation created, assigned (claim, transfer, automatic
	// assignment, reopen by another agent) or closed, and every new
	// message (never a duplicate client id). It is called synchronously on
	// the chat path after the store write, possibly concurrently for
	// different conversations, so it must be cheap and never block. nil
	// reports nothing.
	Notify func(ctx context.Context, n Notice)
	// Observer is told the duration of every message append and local
	// fan-out (see Observer); nil observes nothing.
	Observer Observer
}

// Hub routes chat actions to storage and events to subscribers. Create it
// with New; it is safe for concurrent use. A single-node hub holds no
// goroutines; with a Broker, one sweep goroutine runs while conversation
// rooms have local members, and short-lived fill goroutines recover lost
// messages.
type Hub struct {
	store      Store
	codec      Codec
	now        func() time.Time
	broker     Broker
	nodeID     string
	pageSize   int
	sweepEvery time.Duration
	dir        PresenceDirectory
	onError    func(error)
	onNotice   func(context.Context, Notice)
	obs        Observer
	// maxPending bounds a joining member's buffer (defaultMaxPending;
	// tests lower it).
	maxPending int
	// holeGrace is how long a fill waits for a message the store lacks
	// (defaultHoleGrace; tests lower it).
	holeGrace time.Duration
	rooms     [shardCount]roomShard
	presence  [shardCount]presenceShard
	sweeper   sweeper
}

// New returns a hub over store that encodes events with codec.
func New(store Store, codec Codec, opts Options) *Hub {
	h := &Hub{
		store:      observeStore(store, opts.Observer),
		obs:        opts.Observer,
		codec:      codec,
		now:        opts.Now,
		broker:     opts.Broker,
		nodeID:     opts.NodeID,
		pageSize:   opts.ReplayPageSize,
		sweepEvery: opts.SweepInterval,
		dir:        opts.Presence,
		onError:    opts.OnError,
		onNotice:   opts.Notify,
		maxPending: defaultMaxPending,
		holeGrace:  defaultHoleGrace,
		sweeper:    sweeper{kick: make(chan struct{}, 1)},
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.sweepEvery == 0 {
		h.sweepEvery = defaultSweepInterval
	}
	if h.dir == nil {
		h.dir = NewMemoryPresence()
	}
	if rs, ok := h.broker.(Resubscriber); ok {
		rs.OnResubscribe(h.resync)
	}
	if h.nodeID == "" {
		h.nodeID = storage.NewID("node")
	}
	if h.pageSize <= 0 {
		h.pageSize = defaultPageSize
	}
	h.pageSize = min(h.pageSize, maxPageSize)
	for i := range h.rooms {
		h.rooms[i].rooms = make(map[string]*room)
		h.presence[i].orgs = make(map[string]*orgPresence)
	}
	return h
}

// NodeID returns the id this hub uses on the broker.
func (h *Hub) NodeID() string { return h.nodeID }

// clock returns the current time as stored: UTC, millisecond precision.
func (h *Hub) clock() time.Time { return h.now().UTC().Truncate(time.Millisecond) }

// report hands an error without a caller to OnError.
func (h *Hub) report(err error) {
	if h.onError != nil && err != nil {
		h.onError(err)
	}
}

// roomChannel names a conversation's room, locally and on the broker.
func roomChannel(orgID, conversationID string) string {
	return "helpr.room." + orgID + "." + conversationID
}

// inboxChannel names an organisation's agent inbox.
func inboxChannel(orgID string) string { return "helpr.inbox." + orgID }

// shardIndex hashes key (FNV-1a) onto a registry shard.
func shardIndex(key string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return h % shardCount
}

// publish encodes ev once and delivers it on every channel: to local
// members directly, and through the broker to other nodes. seq is the
// message sequence (0 for other events).
func (h *Hub) publish(ctx context.Context, ev Event, seq int64, channels ...string) error {
	data, err := h.codec.Encode(ev)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", ev.Type, err)
	}
	f := Frame{ConversationID: ev.ConversationID, Seq: seq, Data: data}
	for _, ch := range channels {
		if r := h.lookup(ch); r != nil {
			h.routeObserved(r, f)
		}
		h.forward(ctx, ch, f)
	}
	return nil
}

// authorize loads a conversation the actor may act on: any of its
// organisation's for an agent, only its own for a visitor. Anything else is
// storage.ErrNotFound, so existence is never revealed.
func (h *Hub) authorize(ctx context.Context, a Actor, conversationID string) (storage.Conversation, error) {
	if !a.valid() {
		return storage.Conversation{}, ErrForbidden
	}
	c, err := h.store.GetConversation(ctx, a.OrgID, conversationID)
	if err != nil {
		return storage.Conversation{}, fmt.Errorf("get conversation %s: %w", conversationID, err)
	}
	if a.Kind == storage.SubjectVisitor && c.VisitorID != a.ID {
		return storage.Conversation{}, fmt.Errorf("get conversation %s: %w", conversationID, storage.ErrNotFound)
	}
	return c, nil
}

// requireAgent admits only a well-formed agent actor.
func requireAgent(a Actor) error {
	if !a.valid() || a.Kind != storage.SubjectAgent {
		return ErrForbidden
	}
	return nil
}
