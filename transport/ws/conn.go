package ws

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/wire"
)

// conn is one WebSocket connection. The handler goroutine reads and
// dispatches frames; one writer goroutine, started by the send queue only
// while there is something to write, owns every write of data and of the
// close frame. Everyone else talks to the writer through the send queue.
// An idle connection is one goroutine (the reader) and no write buffers.
type conn struct {
	s     *Server
	ws    *websocket.Conn
	ctx   context.Context // the request's; set by serve
	gate  gate
	queue *sendQueue
	sweep sweepState // the server's sweeper only
	slots slots      // connection caps held; released by untrack

	// Set during authentication, then read-only (except the token hash and
	// the principal's ExpiresAt and SessionID, which a re-auth frame
	// replaces on the reader goroutine under tokenMu; others read them
	// under it).
	principal security.Principal
	actor     hub.Actor
	widgetID  string
	sessionID string // guarded by Server.mu once bound
	tokenMu   sync.RWMutex
	tokenHash [32]byte

	// Handler goroutine only (one runs at a time, see pushback.go).
	bucket      *security.TokenBucket
	memberships map[string]*hub.Membership // made on first join
	badFrames   int
	limited     int
	cleanups    []func() // run by detach: inbox subscription, presence
	activity    func()   // cancels the activity watch (agents); reader goroutine only

	// Frames read and not yet handled (pushback.go); handlers counts the
	// handler goroutine, waited for before detach. readSince is when the
	// reader last entered Read (monoNow), zero while it holds a frame.
	inq       frameQueue
	handlers  sync.WaitGroup
	readSince atomic.Int64
	readAt    time.Time // handler only: when the frame in hand was read

	// busy is held by the handler while it handles a frame; draining, once
	// set by drain, makes the reader take no further frame.
	busy     sync.Mutex
	draining atomic.Bool

	done       chan struct{} // closed when the connection must end
	doneOnce   sync.Once
	why        atomic.Pointer[ending]
	writerDone chan struct{} // closed when the writer has written the ending
	// The writer's own (one writer runs at a time; see sendQueue.park).
	wtimer      *time.Timer // the write deadline (writer.go)
	spareFrames [][]byte    // a small drain array kept between runs (keepFrames)
}

// ending says why and how a connection ends: graceful endings flush the
// queue before the close frame; aborted ones (a peer that stopped answering
// or a failed write) drop the socket without a close handshake.
type ending struct {
	closing
	graceful bool
	abort    bool
}

func newConn(s *Server, ws *websocket.Conn, g gate) *conn {
	c := &conn{
		s:          s,
		ws:         ws,
		ctx:        context.Background(),
		gate:       g,
		queue:      newSendQueue(s.cfg.SendQueueBytes),
		bucket:     security.NewTokenBucket(s.cfg.FrameRate, s.cfg.FrameBurst, s.cfg.Now),
		done:       make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	c.inq.space = make(chan struct{}, 1)
	if ws != nil {
		run := c.writeLoop // made once: starting a writer then allocates nothing
		c.queue.wake = func() { go run() }
	}
	return c
}

// serve authenticates the connection, then reads frames until it ends. ctx
// is the request's, which the HTTP server cancels when the handler returns:
// no context of the connection's own is needed.
func (c *conn) serve(ctx context.Context) {
	c.ctx = ctx
	var opened bool
	onSpareStack(func() { opened = c.open(ctx) }) // off the reader's stack, like the upgrade
	if !opened {
		return
	}
	defer c.detach()
	defer c.s.sweep.remove(c)
	c.readLoop(ctx)
	c.end(ending{closing: closing{websocket.StatusNormalClosure, "", "client_closed"}})
	<-c.writerDone
	c.handlers.Wait() // the handler owns memberships and cleanups until then
}

// open authenticates the connection, lets its writer run and registers it
// with the sweeper; false (the socket closed) when authentication failed.
// Its frame is off the stack while the reader waits (see ServeHTTP).
//
//go:noinline
func (c *conn) open(ctx context.Context) bool {
	if err := c.authenticate(ctx); err != nil {
		cl := closeFor(err)
		c.s.cfg.Metrics.Rejections.With(cl.label).Inc()
		_ = c.ws.Close(cl.code, cl.reason)
		return false
	}
	c.queue.release() // the writer may run from now on
	c.s.sweep.add(c)
	c.sendReady("")
	return true
}

func (c *conn) readLoop(ctx context.Context) {
	for {
		c.readerWaiting()
		typ, data, err := c.ws.Read(ctx)
		c.readerHolding()
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
				c.s.cfg.Metrics.Rejections.With("frame_too_big").Inc()
			}
			if why := readFailure(ctx, err); why != nil && !c.ended() {
				c.fail(closeFor(why)) // e.g. an unmasked frame: 1002, not 1000
			}
			return
		}
		if textInvalid(typ, data) && !c.ended() {
			c.fail(closeFor(errInvalidUTF8)) // RFC 6455 §8.1: 1007
			continue
		}
		c.enqueue(inbound{typ: typ, data: data, at: c.s.cfg.Now()}) // handled in order; blocks on a full window
	}
}

// handle runs one frame through the middleware and its handler, unless the
// connection is ending or draining: then the frame is dropped unprocessed
// (the reader goes on reading until the writer has closed the socket). The
// handler goroutine calls it (pushback.go).
func (c *conn) handle(ctx context.Context, typ websocket.MessageType, data []byte) {
	c.busy.Lock()
	defer c.busy.Unlock()
	if c.draining.Load() || c.ended() {
		return
	}
	c.handleFrame(ctx, typ, data)
}

// drain is a graceful shutdown: the connection takes no new frame, the one
// being handled (a message.send waiting for the store, say) finishes and
// queues its reply, then the writer flushes everything queued and closes
// with code. It blocks until that frame is done. Frames read behind it are
// dropped unanswered, like frames not yet read.
func (c *conn) drain(code websocket.StatusCode, reason string) {
	c.draining.Store(true) // before waiting: the reader must not take the next frame first
	c.busy.Lock()          // waits for the frame in hand, if any
	defer c.busy.Unlock()
	c.shutdown(code, reason)
}

// Deliver implements hub.Subscriber: it queues the frame without blocking
// and closes the connection as a slow consumer when the queue is full.
func (c *conn) Deliver(f hub.Frame) { c.send(f.Data) }

var _ hub.Subscriber = (*conn)(nil)

// send queues one encoded frame for the writer.
func (c *conn) send(frame []byte) {
	if !c.queue.push(frame) && !c.ended() {
		c.fail(closeFor(errSlowConsumer))
	}
}

// fail ends the connection at once with cl, dropping what is queued.
func (c *conn) fail(cl closing) { c.end(ending{closing: cl}) }

// shutdown ends the connection after flushing what is queued.
func (c *conn) shutdown(code websocket.StatusCode, reason string) {
	c.end(ending{closing: closing{code, reason, "shutdown"}, graceful: true})
}

func (c *conn) end(e ending) {
	c.doneOnce.Do(func() {
		c.why.Store(&e)
		c.queue.close()
		close(c.done)
	})
}

func (c *conn) ended() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// detach removes the connection from the hub: rooms, inbox, presence.
func (c *conn) detach() {
	for id, m := range c.memberships {
		m.Leave()
		delete(c.memberships, id)
	}
	for i := len(c.cleanups) - 1; i >= 0; i-- {
		c.cleanups[i]()
	}
	c.cleanups = nil
}

// currentToken returns the hash of the token the connection runs on.
func (c *conn) currentToken() [32]byte {
	c.tokenMu.RLock()
	defer c.tokenMu.RUnlock()
	return c.tokenHash
}

// currentGrant returns the hash of the token the connection runs on and
// that token's expiry, as authentication (or the last re-auth) found them.
func (c *conn) currentGrant() ([32]byte, time.Time) {
	c.tokenMu.RLock()
	defer c.tokenMu.RUnlock()
	return c.tokenHash, c.principal.ExpiresAt
}

// checkToken re-validates the connection's token through the session cache
// (the store when the cache cannot vouch for it) and ends the connection if
// it no longer authorises (4001/4002/4003), or with 1013 (try again later)
// if it could not be checked. The reader's per-frame check.
func (c *conn) checkToken(ctx context.Context) bool {
	if _, err := c.s.cfg.Sessions.ValidateHash(ctx, c.currentToken()); err != nil {
		c.fail(closeFor(c.tokenRefused("revalidate", err)))
		return false
	}
	return true
}

func (c *conn) sendReady(ref string) {
	c.sendFrame(wire.TypeReady, ref, wire.Ready{
		Kind:      string(c.principal.Kind),
		SubjectID: c.principal.SubjectID,
		OrgID:     c.principal.OrgID,
		ExpiresAt: c.principal.ExpiresAt.UTC().Format(time.RFC3339),
	})
}

// sendFrame encodes and queues a reply frame.
func (c *conn) sendFrame(typ, ref string, payload any) {
	b, err := wire.Encode(typ, ref, payload)
	if err != nil {
		c.s.cfg.Logger.Error().Err(err).Str("type", typ).Msg("encode reply")
		return
	}
	c.send(b)
}

// sendError queues an error frame answering ref.
func (c *conn) sendError(ref string, code wire.ErrorCode, message string) {
	c.s.cfg.Metrics.Rejections.With(string(code)).Inc()
	c.sendFrame(wire.TypeError, ref, wire.Error{Code: string(code), Message: message})
}

// visitorWidget returns the widget a visitor came through.
func (c *conn) visitorWidget(ctx context.Context) (string, error) {
	v, err := c.s.cfg.Directory.GetVisitor(ctx, c.principal.OrgID, c.principal.SubjectID)
	if err != nil {
		return "", err
	}
	return v.WidgetID, nil
}

func isVisitor(p security.Principal) bool { return p.Kind == storage.SubjectVisitor }
