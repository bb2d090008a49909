package hub

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
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
	// announce asks the next pass to re-publish each room's newest
	// stored message (after a broker reconnection).
	announce atomic.Bool
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

// resync asks for a sweep pass now: the broker lost payloads. Besides
// catching up, that pass announces to the other nodes the newest stored
// message of each room with local members: a publish this node lost while
// its broker was away happened before this call, so the announcement
// reveals it to nodes that had already caught up, and they fill the gap
// from the store.
func (h *Hub) resync() {
	h.sweeper.announce.Store(true)
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
	announce := h.sweeper.announce.Swap(false)
	for _, r := range h.occupiedRooms() {
		select {
		case <-stop:
			return
		default:
		}
		h.resubscribe(r)
		if r.conversationID == "" {
			continue
		}
		if last := h.sweepRoom(r); announce && last > 0 {
			h.announceLast(r, last)
		}
	}
}

// announceLast re-publishes r's message with sequence last to the other
// nodes, which drop it as a duplicate or fill the gap it reveals.
func (h *Hub) announceLast(r *room, last int64) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	msgs, err := h.store.ListMessages(ctx, r.orgID, r.conversationID, last-1, 1)
	if err != nil || len(msgs) == 0 {
		h.report(fmt.Errorf("announce %s: %v", r.conversationID, err))
		return
	}
	f, err := h.messageFrame(&msgs[0])
	if err != nil {
		h.report(err)
		return
	}
	h.forward(ctx, r.channel, f)
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

// sweepRoom reveals r's stored last sequence to its ordering and returns
// it (0 when it could not be read).
func (h *Hub) sweepRoom(r *room) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	c, err := h.store.GetConversation(ctx, r.orgID, r.conversationID)
	if err != nil {
		h.report(fmt.Errorf("sweep %s: %w", r.conversationID, err))
		return 0
	}
	r.order.mu.Lock()
	defer r.order.mu.Unlock()
	h.revealLocked(r, c.LastSeq)
	return c.LastSeq
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
