package ws

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/transport/wire"
)

// Backpressure (docs/protocol.md, "Backpressure and overload").
//
// The reader does not handle frames itself: it hands each one to the
// connection's handler, a goroutine started while frames are pending, which
// handles them one at a time in the order read. So a message.send waiting
// for the store does not stop the reader, and the library goes on
// answering the client's pings and taking the pongs of the server's own.
// At most Config.SendWindow frames are pending; when the window is full the
// reader stops reading until the handler finishes one: the client's socket
// then fills, and it is slowed down, never dropped.
//
// Beyond the connection, a node whose store cannot keep up answers
// message.send with an overloaded error frame instead of queueing it: when
// Config.MaxAppends sends are being stored on the node already, or when the
// send waited longer than Config.AppendWaitBudget behind its connection's
// earlier frames. Both are decided before the append starts, so overloaded
// always means "not stored: resend the same client_id later".

// inbound is a frame read and not yet handled.
type inbound struct {
	typ  websocket.MessageType
	data []byte
	at   time.Time // Config.Now when read
}

// frameQueue holds a connection's pending frames, oldest first; while the
// handler runs, the head is the frame it is handling.
type frameQueue struct {
	mu      sync.Mutex
	frames  []inbound
	running bool          // a handler goroutine runs
	space   chan struct{} // signalled (without blocking) when a frame is done
}

// keptInbound is the largest backing array an emptied frame queue keeps.
const keptInbound = 2

// enqueue hands a read frame to the handler, starting it if none runs. It
// blocks while the window is full (the backpressure), until a pending frame
// is done or the connection ends (the frame is then dropped: an ended
// connection handles nothing).
func (c *conn) enqueue(in inbound) {
	q := &c.inq
	for {
		q.mu.Lock()
		if len(q.frames) < c.s.cfg.SendWindow {
			q.frames = append(q.frames, in)
			start := !q.running
			q.running = true
			q.mu.Unlock()
			if start {
				c.handlers.Add(1)
				go c.handleQueued()
			}
			return
		}
		q.mu.Unlock()
		c.s.backpressured.Add(1)
		select {
		case <-q.space:
		case <-c.done:
			return
		}
	}
}

// handleQueued is the connection's handler: it handles pending frames in
// order until none is left, then exits.
func (c *conn) handleQueued() {
	defer c.handlers.Done()
	q := &c.inq
	for {
		q.mu.Lock()
		if len(q.frames) == 0 {
			q.running = false
			if cap(q.frames) > keptInbound {
				q.frames = nil
			}
			q.mu.Unlock()
			return
		}
		in := q.frames[0]
		q.mu.Unlock()
		c.readAt = in.at
		c.handle(c.ctx, in.typ, in.data)
		q.mu.Lock()
		n := copy(q.frames, q.frames[1:])
		q.frames[n] = inbound{}
		q.frames = q.frames[:n]
		q.mu.Unlock()
		select {
		case q.space <- struct{}{}:
		default:
		}
	}
}

// pending is how many frames are read and not yet handled.
func (c *conn) pending() int {
	c.inq.mu.Lock()
	defer c.inq.mu.Unlock()
	return len(c.inq.frames)
}

// monoEpoch makes monotonic instants storable in an atomic.Int64.
var monoEpoch = time.Now()

// monoNow is the monotonic time since monoEpoch, never zero.
func monoNow() int64 { return int64(time.Since(monoEpoch)) + 1 }

// readerWaiting and readerHolding mark the reader entering Read (waiting
// for the client) and leaving it with a frame.
func (c *conn) readerWaiting() { c.readSince.Store(monoNow()) }
func (c *conn) readerHolding() { c.readSince.Store(0) }

// pongExcused reports whether a ping sent at start (monoNow) that got no
// pong in time says nothing about the client: the reader, which alone
// takes pongs off the socket, did not wait in Read for the whole time
// (it was holding a frame, or was held by backpressure), or a frame came
// in since (the client is alive).
func (c *conn) pongExcused(start int64) bool {
	since := c.readSince.Load()
	return since == 0 || since > start
}

// admitSend decides, before the append starts, whether a message.send may
// go to the store: false (the send answered overloaded) when it waited
// past the budget behind earlier frames or the node has MaxAppends sends
// in the store. When true, done must be called once the append returned.
func (c *conn) admitSend(ref string) (done func(), ok bool) {
	if waited := c.s.cfg.Now().Sub(c.readAt); !c.readAt.IsZero() && waited > c.s.cfg.AppendWaitBudget {
		c.overloaded(ref, "the message waited too long to be stored")
		return nil, false
	}
	if !c.s.appends.acquire() {
		c.overloaded(ref, "the server is storing too many messages")
		return nil, false
	}
	return c.s.appends.release, true
}

// overloadRetry is the least retry_after_ms of an overloaded answer; a
// random share of it again is added, so refused clients do not resend in
// step.
const overloadRetry = 250 * time.Millisecond

// overloaded answers a message.send that was not stored with overloaded
// and a retry hint.
func (c *conn) overloaded(ref, why string) {
	retry := overloadRetry + rand.N(overloadRetry)
	ms := int(retry / time.Millisecond)
	c.s.overloads.Add(1)
	c.s.cfg.Metrics.Rejections.With(string(wire.CodeOverloaded)).Inc()
	c.sendFrame(wire.TypeError, ref, wire.Error{Code: string(wire.CodeOverloaded), RetryAfterMS: ms,
		Message: fmt.Sprintf("%s; not stored: resend the same client_id in %d ms", why, ms)})
}

// appendGate counts the message.send appends running on the node.
type appendGate struct {
	max int // NoCap (negative): no limit
	n   atomic.Int64
}

// acquire takes a slot, false when all are taken.
func (g *appendGate) acquire() bool {
	if g.n.Add(1) > int64(g.max) && g.max >= 0 {
		g.n.Add(-1)
		return false
	}
	return true
}

// release gives a slot back.
func (g *appendGate) release() { g.n.Add(-1) }
