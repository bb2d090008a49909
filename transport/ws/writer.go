package ws

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// writeLoop is the connection's only writer. It coalesces queued frames
// into one WebSocket message (newline-separated), pings the client, and
// re-validates the token while the socket is idle, so a revoked or expired
// session is closed within RevalidateInterval even without traffic.
func (c *conn) writeLoop(ctx context.Context) {
	defer close(c.writerDone)
	ping := time.NewTicker(c.s.cfg.PingInterval)
	defer ping.Stop()
	revalidate := time.NewTicker(c.s.cfg.RevalidateInterval)
	defer revalidate.Stop()
	w := &batchWriter{}
	for {
		select {
		case <-ctx.Done():
			_ = c.ws.CloseNow()
			return
		case <-c.done:
			c.finish(ctx, w)
			return
		case <-c.queue.ready:
			if err := c.flush(ctx, w); err != nil {
				c.end(ending{closing: closing{label: "write_failed"}, abort: true})
			}
		case <-ping.C:
			go c.ping(ctx)
		case <-revalidate.C:
			c.checkToken(ctx)
		}
	}
}

// finish writes the close frame. A graceful ending (server shutdown) first
// flushes what is queued; a failure (revocation, slow consumer) does not.
func (c *conn) finish(ctx context.Context, w *batchWriter) {
	e := c.why.Load()
	if e.graceful {
		_ = c.flush(ctx, w)
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

// flush writes everything queued, several frames per WebSocket message.
func (c *conn) flush(ctx context.Context, w *batchWriter) error {
	for !c.queue.empty() {
		w.frames = c.queue.drain(w.frames[:0], maxFramesPerWrite, maxBytesPerWrite)
		wctx, cancel := context.WithTimeout(ctx, c.s.cfg.WriteTimeout)
		err := c.ws.Write(wctx, websocket.MessageText, w.join())
		cancel()
		if err != nil {
			return err
		}
		c.s.cfg.Metrics.FramesOut.Add(uint64(len(w.frames)))
		clear(w.frames)
	}
	return nil
}

// ping checks that the client still answers; a silent client is closed.
func (c *conn) ping(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, c.s.cfg.PongTimeout)
	defer cancel()
	if err := c.ws.Ping(pctx); err != nil && ctx.Err() == nil {
		c.end(ending{closing: closing{label: "ping_timeout"}, abort: true})
	}
}

// batchWriter joins frames into one newline-separated message, reusing its
// buffers across writes.
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
