package hub

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Cross-node ordering.
//
// On a hub with a Broker, each node publishes the messages it stores, so a
// conversation's messages reach a node from several publishers: node B may
// see seq 6 (its own) before seq 5 (node A's), and pub/sub may lose a
// payload altogether. Each conversation room with local members therefore
// remembers the highest sequence it handed to its members (delivered):
//
//   - a message at or below delivered is a duplicate and is dropped;
//   - delivered+1 is fanned out at once (the fast path: a lock and a
//     comparison);
//   - anything higher reveals a gap: the frame is held and a fill
//     goroutine starts. If the missing payloads do not arrive within
//     fillDelay (they often are just behind, from another publisher), it
//     reads the missing range from the store (which holds every message
//     below a stored one), encodes each message once and fans them out in
//     order, followed by the held frames.
//
// A loss that no later message reveals is caught by the sweep (sweep.go).
// Without a Broker there is one publisher per room and its publications
// are already in order (room.sendMu), so none of this runs.

const (
	// maxHeld bounds the frames a room holds past a gap; beyond it frames
	// are dropped and the fill reads them from the store instead.
	maxHeld = 1024
	// storeTimeout bounds each store read of a fill or a sweep.
	storeTimeout = 10 * time.Second
	// defaultHoleGrace is how long a sequence may stay missing from the
	// store while a later one is there before a fill skips it (a broken
	// store contract must not stall a conversation forever).
	defaultHoleGrace = 30 * time.Second
)

// fillDelay is how long a fill waits before its first store read: a payload
// published concurrently by another node is usually just behind the one
// that revealed the gap, and then no read is needed.
const fillDelay = 10 * time.Millisecond

// fillBackoff spaces the re-reads of a fill that found the store still
// missing the next message; after the last, the fill stops and the next
// message or the sweep starts another.
var fillBackoff = []time.Duration{5 * time.Millisecond, 25 * time.Millisecond, 125 * time.Millisecond}

// roomOrder is a conversation room's ordering state.
type roomOrder struct {
	mu        sync.Mutex
	tracking  bool            // the room has local members on a multi-node hub
	delivered int64           // highest message sequence fanned out
	target    int64           // highest message sequence known to exist
	held      map[int64]Frame // frames past a gap, by sequence
	filling   bool            // a fill goroutine runs
	hole      int64           // a sequence the store lacks while holding a later one
	holeSince time.Time       // when hole was first seen
}

// ordered reports whether r's message frames go through its roomOrder.
func (h *Hub) ordered(r *room) bool { return h.broker != nil && r.conversationID != "" }

// track starts ordering r from lastSeq when its first member arrives or,
// when it is already tracked, learns that lastSeq exists. r.mu is held.
func (h *Hub) track(r *room, lastSeq int64) {
	if !h.ordered(r) {
		return
	}
	o := &r.order
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tracking {
		h.revealLocked(r, lastSeq)
		return
	}
	o.tracking, o.delivered, o.target = true, lastSeq, lastSeq
	o.held, o.hole = nil, 0
}

// untrack stops ordering r when its last member left. r.mu is held.
func (h *Hub) untrack(r *room) {
	if !h.ordered(r) {
		return
	}
	o := &r.order
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tracking, o.held, o.hole = false, nil, 0
}

// route hands f to r's local members. Message frames of an ordered room
// pass in sequence order, each once; every other frame passes at once.
func (h *Hub) route(r *room, f Frame) {
	if f.Seq == 0 || !h.ordered(r) {
		r.fanout(f)
		return
	}
	o := &r.order
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case !o.tracking || f.Seq <= o.delivered:
	case f.Seq == o.delivered+1:
		o.advanceLocked(r, f)
	default:
		o.holdLocked(f)
		h.revealLocked(r, f.Seq)
	}
}

// revealLocked records that message seq exists and starts a fill when r
// has not delivered it. o.mu is held.
func (h *Hub) revealLocked(r *room, seq int64) {
	o := &r.order
	o.target = max(o.target, seq)
	if o.tracking && o.target > o.delivered && !o.filling {
		o.filling = true
		go h.fill(r)
	}
}

// holdLocked keeps f until the messages before it are delivered.
func (o *roomOrder) holdLocked(f Frame) {
	if len(o.held) >= maxHeld {
		return
	}
	if o.held == nil {
		o.held = make(map[int64]Frame)
	}
	o.held[f.Seq] = f
}

// advanceLocked fans out f, the next message, then the held frames that
// follow it without a gap.
func (o *roomOrder) advanceLocked(r *room, f Frame) {
	for {
		r.fanout(f)
		o.delivered, o.hole = f.Seq, 0
		next, ok := o.held[f.Seq+1]
		if !ok {
			return
		}
		delete(o.held, next.Seq)
		f = next
	}
}

// fill delivers r's missing messages from the store until it has
// delivered every message it knows of, the room stops being tracked, or
// the store keeps lacking the next message.
func (h *Hub) fill(r *room) {
	time.Sleep(fillDelay)
	attempt := 0
	for {
		from, ok := r.order.fillFrom()
		if !ok {
			return
		}
		frames, err := h.readAfter(r, from)
		if err != nil {
			h.report(err)
			r.order.stopFill()
			return
		}
		if h.applyFill(r, frames) {
			attempt = 0
			continue
		}
		if attempt == len(fillBackoff) {
			r.order.stopFill()
			return
		}
		time.Sleep(fillBackoff[attempt])
		attempt++
	}
}

// fillFrom returns the sequence to read after, or false — clearing
// filling — when there is nothing left to fill.
func (o *roomOrder) fillFrom() (int64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.tracking || o.target <= o.delivered {
		o.filling = false
		return 0, false
	}
	return o.delivered, true
}

// stopFill ends a fill that cannot progress now.
func (o *roomOrder) stopFill() {
	o.mu.Lock()
	o.filling = false
	o.mu.Unlock()
}

// readAfter reads and encodes one page of r's stored messages after seq.
func (h *Hub) readAfter(r *room, seq int64) ([]Frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	msgs, err := h.store.ListMessages(ctx, r.orgID, r.conversationID, seq, h.pageSize)
	if err != nil {
		return nil, fmt.Errorf("fill %s after %d: %w", r.conversationID, seq, err)
	}
	frames := make([]Frame, len(msgs))
	for i := range msgs {
		if frames[i], err = h.messageFrame(&msgs[i]); err != nil {
			return nil, err
		}
	}
	return frames, nil
}

// applyFill delivers the frames read from the store in order and reports
// whether the room advanced.
func (h *Hub) applyFill(r *room, frames []Frame) bool {
	o := &r.order
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.tracking {
		return false
	}
	before := o.delivered
	for _, f := range frames {
		if f.Seq <= o.delivered {
			continue
		}
		if f.Seq > o.delivered+1 && !h.skipHoleLocked(r, f.Seq) {
			break
		}
		o.advanceLocked(r, f)
	}
	return o.delivered > before
}

// skipHoleLocked is called when the store holds seq but not the message
// after delivered. It reports whether to give up on the missing range: only
// once it has been missing for holeGrace. o.mu is held.
func (h *Hub) skipHoleLocked(r *room, seq int64) bool {
	o := &r.order
	missing, now := o.delivered+1, h.now()
	if o.hole != missing {
		o.hole, o.holeSince = missing, now
		return false
	}
	if now.Sub(o.holeSince) < h.holeGrace {
		return false
	}
	h.report(fmt.Errorf("conversation %s: messages %d..%d missing from the store for %s; skipped",
		r.conversationID, missing, seq-1, h.holeGrace))
	for s := range o.held {
		if s < seq {
			delete(o.held, s)
		}
	}
	return true
}
