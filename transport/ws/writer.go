package ws

import (
	"context"
	"errors"
	"time"

	"github.com/coder/websocket"
)

// errWriteStalled reports a write that did not complete within the write
// timeout; the connection has then been ended as a slow consumer.
var errWriteStalled = errors.New("write stalled")

// writeLoop is the connection's only writer of data and close frames. The
// send queue starts it when frames arrive on an idle connection (or the
// connection ends); it coalesces queued frames into WebSocket messages
// (newline-separated) and exits when the queue is empty, releasing its
// buffers (but for a drain array of at most keptQueueFrames slots), so an
// idle connection costs no goroutine. Pings and idle token
// re-validation are driven by the server's shared sweeper (sweep.go).
func (c *conn) writeLoop() {
	w := &batchWriter{frames: c.spareFrames[:0]}
	for {
		if c.queue.isClosed() {
			c.finish(w)
			close(c.writerDone)
			return
		}
		if c.queue.empty() {
			c.keepFrames(w.frames) // before park: the next writer may start at once
			if c.queue.park() {
				return
			}
			continue
		}
		if err := c.flush(c.ctx, w); err != nil {
			c.end(ending{closing: closing{label: "write_failed"}, abort: true})
		}
	}
}

// keepFrames keeps a small drain array for the connection's next writer
// run, so that the common wake-up (a frame or two) allocates none; a large
// one is let go, so an idle connection holds at most keptQueueFrames slots.
func (c *conn) keepFrames(frames [][]byte) {
	if cap(frames) <= keptQueueFrames {
		c.spareFrames = frames[:0]
		return
	}
	c.spareFrames = nil
}

// finish writes the close frame. A graceful ending (server shutdown) first
// flushes what is queued; a failure (revocation, slow consumer) does not.
// When the request itself is gone the socket is dropped at once.
func (c *conn) finish(w *batchWriter) {
	e := c.why.Load()
	if c.ctx.Err() != nil {
		_ = c.ws.CloseNow()
		return
	}
	if e.graceful {
		_ = c.flush(c.ctx, w)
	}
	if e.label != "client_closed" && e.label != "shutdown" {
		c.s.cfg.Metrics.Rejections.With(e.label).Inc()
	}
	if e.abort {
		_ = c.ws.CloseNow()
		return
	}
	_ = c.ws.Close(e.code, e.reason)
}

// flush writes everything queued, several frames per WebSocket message:
// each wake-up of the writer drains up to maxFramesPerWrite frames (about
// maxBytesPerWrite bytes) into one newline-separated message per write.
func (c *conn) flush(ctx context.Context, w *batchWriter) error {
	for !c.queue.empty() {
		w.frames = c.queue.drain(w.frames[:0], maxFramesPerWrite, maxBytesPerWrite)
		if err := c.write(ctx, w.join()); err != nil {
			return err
		}
		c.s.cfg.Metrics.FramesOut.Add(uint64(len(w.frames)))
		clear(w.frames)
	}
	return nil
}

// ping checks that the client still answers. A pong can only be taken off
// the socket while the reader waits in Read, so a missed pong counts only
// when the reader waited there for the whole pong timeout and no frame came
// in (pongExcused): a server too busy to read never drops a live client.
// A client silent while the server was listening is dropped without a
// close handshake, which it would not answer either.
func (c *conn) ping(ctx context.Context) {
	start := monoNow()
	pctx, cancel := context.WithTimeout(ctx, c.s.cfg.PongTimeout)
	defer cancel()
	if err := c.ws.Ping(pctx); err != nil && ctx.Err() == nil && !c.ended() {
		c.s.pongsMissed.Add(1)
		if c.pongExcused(start) {
			c.s.pingsExcused.Add(1)
			return
		}
		c.end(ending{closing: closing{label: "ping_timeout"}, abort: true})
	}
}

// batchWriter joins frames into one newline-separated message, reusing its
// buffers across the writes of one writer run.
type batchWriter struct {
	frames [][]byte
	buf    []byte
}

func (w *batchWriter) join() []byte {
	if len(w.frames) == 1 {
		return w.frames[0]
	}
	w.buf = w.buf[:0]
	for i, f := range w.frames {
		if i > 0 {
			w.buf = append(w.buf, '\n')
		}
		w.buf = append(w.buf, f...)
	}
	return w.buf
}

// write sends one WebSocket message within the write timeout. ctx is the
// connection's own long-lived context: no context (and no timer) is made
// per write. The deadline is the connection's reusable write timer
// (armWrite), which ends a stalled write as a slow consumer.
func (c *conn) write(ctx context.Context, p []byte) error {
	c.armWrite()
	err := c.ws.Write(ctx, websocket.MessageText, p)
	if !c.wtimer.Stop() {
		return errWriteStalled // the timer fired: writeStalled closed the socket
	}
	return err
}

// armWrite starts the write deadline, making the connection's write timer
// on its first write and resetting it afterwards.
func (c *conn) armWrite() {
	if c.wtimer == nil {
		c.wtimer = time.AfterFunc(c.s.cfg.WriteTimeout, c.writeStalled)
		return
	}
	c.wtimer.Reset(c.s.cfg.WriteTimeout)
}

// writeStalled runs on the write timer when a write has not completed
// within the write timeout: the peer stopped reading (its socket buffers
// are full). The connection ends as a slow consumer (4009, like a full send
// queue) and the socket is dropped at once, which makes the blocked write
// return: no close frame can pass a socket the peer does not read.
func (c *conn) writeStalled() {
	c.end(ending{closing: closeFor(errSlowConsumer), abort: true})
	_ = c.ws.CloseNow()
}
