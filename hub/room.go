package hub

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// roomShard is one slice of the channel registry.
type roomShard struct {
	mu    sync.Mutex
	rooms map[string]*room
}

// room is one channel on this node: a conversation's room or an
// organisation's inbox. It lives while it has members or an operation in
// flight (refs) and is removed from its shard with the last reference.
type room struct {
	channel        string
	orgID          string
	conversationID string // "" for an inbox
	refs           int    // guarded by the shard's mu

	// sendMu serialises a conversation's durable changes with their
	// publication, so members see them in store order.
	sendMu sync.Mutex

	mu          sync.Mutex           // guards set and unsubscribe
	set         map[*member]struct{} // the local members
	unsubscribe func()               // the broker subscription, nil when none
	members     atomic.Pointer[[]*member]

	// order keeps a conversation room's messages in sequence on a
	// multi-node hub (see order.go).
	order roomOrder
}

// newRoom returns an empty room on channel: a conversation's, or (with
// conversationID "") an organisation-wide one such as the inbox.
func newRoom(orgID, conversationID, channel string) *room {
	r := &room{
		channel: channel, orgID: orgID, conversationID: conversationID,
		set: make(map[*member]struct{}),
	}
	r.members.Store(&[]*member{})
	return r
}

// fanout hands f to every local member. It reads an immutable snapshot, so
// it takes no room lock and never waits for a join or leave.
func (r *room) fanout(f Frame) {
	for _, m := range *r.members.Load() {
		m.deliver(f)
	}
}

// snapshotLocked republishes the member list for fanout. r.mu is held.
func (r *room) snapshotLocked() {
	list := make([]*member, 0, len(r.set))
	for m := range r.set {
		list = append(list, m)
	}
	r.members.Store(&list)
}

// acquire returns the room of a conversation (the organisation's inbox
// when conversationID is ""), creating it, and takes a reference the caller
// must give back with release.
func (h *Hub) acquire(orgID, conversationID string) *room {
	if conversationID == "" {
		return h.acquireChannel(orgID, "", inboxChannel(orgID))
	}
	return h.acquireChannel(orgID, conversationID, roomChannel(orgID, conversationID))
}

// acquireChannel returns the room of channel, creating it, and takes a
// reference the caller must give back with release. conversationID is ""
// for organisation-wide channels.
func (h *Hub) acquireChannel(orgID, conversationID, channel string) *room {
	s := &h.rooms[shardIndex(channel)]
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rooms[channel]
	if r == nil {
		r = newRoom(orgID, conversationID, channel)
		s.rooms[channel] = r
	}
	r.refs++
	return r
}

// release gives back a reference taken by acquire.
func (h *Hub) release(r *room) {
	s := &h.rooms[shardIndex(r.channel)]
	s.mu.Lock()
	defer s.mu.Unlock()
	r.refs--
	if r.refs == 0 {
		delete(s.rooms, r.channel)
	}
}

// lookup returns the room for channel if this node has one.
func (h *Hub) lookup(channel string) *room {
	s := &h.rooms[shardIndex(channel)]
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[channel]
}

// addMember registers m in r. The first member subscribes the room to its
// broker channel; the subscription is active when addMember returns, so
// every frame published afterwards on any node reaches m. m is registered
// even when subscribing fails; the error says other nodes' frames will
// not arrive until the sweep (or a later member) subscribes again.
//
// lastSeq is the conversation's last sequence as read before the call: it
// starts the room's ordering (or reveals messages the room missed).
func (h *Hub) addMember(r *room, m *member, lastSeq int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	h.track(r, lastSeq)
	if len(r.set) == 0 && h.broker != nil {
		h.sweepAdd()
	}
	r.set[m] = struct{}{}
	r.snapshotLocked()
	return h.subscribeLocked(r)
}

// subscribeLocked subscribes r to its broker channel unless it is already
// (or there is no broker). r.mu is held.
func (h *Hub) subscribeLocked(r *room) error {
	if h.broker == nil || r.unsubscribe != nil {
		return nil
	}
	unsubscribe, err := h.broker.Subscribe(r.channel, h.remoteHandler(r))
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", r.channel, err)
	}
	r.unsubscribe = unsubscribe
	return nil
}

// removeMember unregisters m; the last member drops the broker
// subscription.
func (h *Hub) removeMember(r *room, m *member) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[m]; !ok {
		return
	}
	delete(r.set, m)
	r.snapshotLocked()
	if len(r.set) > 0 {
		return
	}
	if r.unsubscribe != nil {
		r.unsubscribe()
		r.unsubscribe = nil
	}
	h.untrack(r)
	if h.broker != nil {
		h.sweepRemove()
	}
}
