package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/transport/wire"
)

// Connection limits, the same as helpr's defaults.
const (
	floorQueueBytes    = 4 << 20 // send queue cap; over it the client is cut off (4009)
	floorWriteTimeout  = 10 * time.Second
	floorAuthTimeout   = 5 * time.Second
	floorTokenLifetime = time.Hour
)

// floorConn is one WebSocket: the handler goroutine reads, one writer
// goroutine writes what enqueue queued, several frames per message.
type floorConn struct {
	f   *floor
	ws  *websocket.Conn
	who floorSubject

	mu     sync.Mutex
	queue  [][]byte
	queued int
	closed bool
	wake   chan struct{} // capacity 1: something was queued
	done   chan struct{} // closed by shutdown
	code   websocket.StatusCode

	joined map[string]*floorConv // owned by the reader goroutine
}

// serveWS upgrades any GET /rest/v1/ws and runs the connection.
func (f *floor) serveWS(w http.ResponseWriter, r *http.Request) {
	f.handlers.Add(1)
	defer f.handlers.Done()
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept wrote the HTTP error
	}
	ws.SetReadLimit(wire.MaxFrameBytes)
	c := &floorConn{f: f, ws: ws, wake: make(chan struct{}, 1), done: make(chan struct{}),
		joined: make(map[string]*floorConv)}
	ctx := r.Context()
	tok, hasHeader := bearer(r.Header.Get("Authorization"))
	ref := ""
	if !hasHeader {
		if tok, ref, err = c.readAuth(ctx); err != nil {
			_ = ws.Close(wire.CloseUnauthorized, "auth frame expected")
			return
		}
	}
	c.who = parseFloorToken(tok)
	f.register(c)
	defer f.unregister(c)
	writerDone := make(chan struct{})
	go c.writeLoop(ctx, writerDone)
	c.enqueue(mustEncode(wire.TypeReady, ref, c.ready()))
	c.readLoop(ctx)
	c.leaveAll()
	c.shutdown()
	<-writerDone
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// readAuth reads the first frame, which must be auth, within 5 s.
func (c *floorConn) readAuth(ctx context.Context) (tok, ref string, err error) {
	actx, cancel := context.WithTimeout(ctx, floorAuthTimeout)
	defer cancel()
	_, b, err := c.ws.Read(actx)
	if err != nil {
		return "", "", err
	}
	fr, err := wire.DecodeClient(b)
	if err != nil {
		return "", "", err
	}
	if fr.Auth == nil {
		return "", "", wire.NewError(wire.CodeBadFrame, "auth frame expected")
	}
	return fr.Auth.Token, fr.Ref, nil
}

func (c *floorConn) ready() *wire.Ready {
	return &wire.Ready{Kind: c.who.Kind, SubjectID: c.who.ID, OrgID: c.who.OrgID,
		ExpiresAt: c.f.now().Add(floorTokenLifetime).UTC().Format(time.RFC3339)}
}

// readLoop handles frames until the socket fails or is closed.
func (c *floorConn) readLoop(ctx context.Context) {
	for {
		typ, b, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			c.enqueue(errorFrame("", wire.NewError(wire.CodeBadFrame, "binary message")))
			continue
		}
		fr, err := wire.DecodeClient(b)
		if err != nil {
			c.enqueue(errorFrame(fr.Ref, err))
			continue
		}
		c.handle(fr)
	}
}

// errorFrame encodes the error frame refusing ref.
func errorFrame(ref string, err error) []byte {
	return mustEncode(wire.TypeError, ref, wire.NewError(wire.CodeOf(err), err.Error()))
}

// enqueue queues one encoded frame without blocking; over the byte cap the
// connection is closed as a slow consumer.
func (c *floorConn) enqueue(b []byte) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if c.queued+len(b) > floorQueueBytes {
		c.mu.Unlock()
		c.closeWith(wire.CloseSlowConsumer)
		return
	}
	c.queue = append(c.queue, b)
	c.queued += len(b)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// drain takes everything queued.
func (c *floorConn) drain(into [][]byte) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	into = append(into, c.queue...)
	clear(c.queue)
	c.queue, c.queued = c.queue[:0], 0
	return into
}

// writeLoop is the only writer: it joins queued frames with "\n" into one
// message per wake-up.
func (c *floorConn) writeLoop(ctx context.Context, writerDone chan<- struct{}) {
	defer close(writerDone)
	var frames [][]byte
	var buf bytes.Buffer
	for {
		select {
		case <-c.done:
			c.finish()
			return
		case <-c.wake:
		}
		frames = c.drain(frames[:0])
		if len(frames) == 0 {
			continue
		}
		buf.Reset()
		for i, fr := range frames {
			if i > 0 {
				buf.WriteByte('\n')
			}
			buf.Write(fr)
		}
		clear(frames)
		wctx, cancel := context.WithTimeout(ctx, floorWriteTimeout)
		err := c.ws.Write(wctx, websocket.MessageText, buf.Bytes())
		cancel()
		if err != nil {
			c.closeWith(0)
		}
		if buf.Cap() > 64<<10 {
			buf = bytes.Buffer{} // release a large burst's buffer
		}
	}
}

// finish closes the socket: with the close code chosen, or abruptly.
func (c *floorConn) finish() {
	c.mu.Lock()
	code := c.code
	c.mu.Unlock()
	if code == 0 {
		_ = c.ws.CloseNow()
		return
	}
	_ = c.ws.Close(code, "")
}

// closeWith ends the connection with code (0: without a close handshake).
func (c *floorConn) closeWith(code websocket.StatusCode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed, c.code = true, code
	c.queue, c.queued = nil, 0
	close(c.done)
}

// shutdown ends the connection with a going-away close.
func (c *floorConn) shutdown() { c.closeWith(wire.CloseGoingAway) }
