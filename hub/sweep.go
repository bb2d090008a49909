package hub

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// The sweep catches the losses no later message reveals: the last message
// of a burst whose broker payload was lost, or everything published while
// a broker connection was down. For every conversation room with local
// members it compares the conversation's stored LastSeq with the room's
// delivered sequence and fills the difference from the store.
//
// It runs every SweepInterval, and at once when the broker reports a
// resubscription (Resubscriber). It also subscribes again the rooms whose
// subscription the broker refused (during an outage). So a message whose payload is lost
// reaches this node's members with the next message of its conversation
// (one store read), at the latest one SweepInterval plus one sweep pass
// after it was stored, and right after a broker reconnect.
//
// The sweep goroutine exists only while the hub has a Broker and at least
// one room (conversation or inbox) with local members.

// defaultSweepInterval is SweepInterval's default.
const defaultSweepInterval = 5 * time.Second

// sweeper runs the sweep loop while rooms have members.
type sweeper struct {
	mu    sync.Mutex
	rooms int           // rooms with members
	stop  chan struct{} // closes the running loop; nil when none runs
	kick  chan struct{} // asks the loop for a pass now (capacity 1)
}

// sweepAdd counts a room that got its first member; the first starts the
// loop.
func (h *Hub) sweepAdd() {
	s := &h.sweeper
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rooms++
	if s.stop == nil {
		s.stop = make(chan struct{})
		go h.sweepLoop(s.stop)
	}
}

// sweepRemove uncounts a room that lost its last member; the last stops
// the loop.
func (h *Hub) sweepRemove() {
	s := &h.sweeper
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rooms--
	if s.rooms == 0 && s.stop != nil {
		close(s.stop)
		s.stop = nil
	}
}

// resync asks for a sweep pass now: the broker lost payloads.
func (h *Hub) resync() {
	select {
	case h.sweeper.kick <- struct{}{}:
	default: // a pass is already due
	}
}

// sweepLoop sweeps every interval and on request until stop closes.
func (h *Hub) sweepLoop(stop <-chan struct{}) {
	var tick <-chan time.Time
	if h.sweepEvery > 0 {
		t := time.NewTicker(h.sweepEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-stop:
			return
		case <-tick:
		case <-h.sweeper.kick:
		}
		h.sweepOnce(stop)
	}
}

// sweepOnce subscribes the rooms with local members that lack a broker
// subscription and checks every such conversation room against the store,
// one read each, stopping early when stop closes.
func (h *Hub) sweepOnce(stop <-chan struct{}) {
	for _, r := range h.occupiedRooms() {
		select {
		case <-stop:
			return
		default:
		}
		h.resubscribe(r)
		if r.conversationID != "" {
			h.sweepRoom(r)
		}
	}
}

// resubscribe retries the broker subscription of a room with members that
// has none.
func (h *Hub) resubscribe(r *room) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.set) > 0 {
		h.report(h.subscribeLocked(r))
	}
}

// sweepRoom reveals r's stored last sequence to its ordering.
func (h *Hub) sweepRoom(r *room) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	c, err := h.store.GetConversation(ctx, r.orgID, r.conversationID)
	if err != nil {
		h.report(fmt.Errorf("sweep %s: %w", r.conversationID, err))
		return
	}
	r.order.mu.Lock()
	defer r.order.mu.Unlock()
	h.revealLocked(r, c.LastSeq)
}

// occupiedRooms lists this node's rooms with local members.
func (h *Hub) occupiedRooms() []*room {
	var out []*room
	for i := range h.rooms {
		s := &h.rooms[i]
		s.mu.Lock()
		for _, r := range s.rooms {
			if len(*r.members.Load()) > 0 {
				out = append(out, r)
			}
		}
		s.mu.Unlock()
	}
	return out
}
