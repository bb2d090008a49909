package ws

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"
)

// writerRig is one server-side conn (its writer and send queue, nothing of
// the hub) talking to a real WebSocket peer over loopback. The peer splits
// every message on "\n" and counts the frames; record, when set, keeps them.
type writerRig struct {
	c    *conn
	srv  *httptest.Server
	peer *websocket.Conn

	frames   atomic.Int64 // frames received by the peer
	messages atomic.Int64 // WebSocket messages received by the peer
	maxMsg   atomic.Int64 // frames in the largest message
	arrived  chan struct{}
	paused   chan struct{} // the peer reads only while this is closed or nil
	served   chan struct{} // the server handler has returned

	mu      sync.Mutex
	record  bool
	got     []string
	peerErr error
	peerEnd chan struct{}
}

func newWriterRig(tb testing.TB, cfg Config, record, paused bool) *writerRig {
	tb.Helper()
	cfg.applyDefaults()
	s := &Server{cfg: cfg}
	r := &writerRig{
		arrived: make(chan struct{}, 1),
		served:  make(chan struct{}),
		peerEnd: make(chan struct{}),
		record:  record,
	}
	if paused {
		r.paused = make(chan struct{})
	}
	ready := make(chan *conn, 1)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		defer close(r.served)
		wsc, err := websocket.Accept(w, req, nil)
		if err != nil {
			return
		}
		c := newConn(s, wsc, gate{})
		c.ctx = req.Context()
		c.queue.release()
		ready <- c
		for {
			if _, _, err := wsc.Read(req.Context()); err != nil {
				break
			}
		}
		c.end(ending{closing: closing{websocket.StatusNormalClosure, "", "client_closed"}})
		<-c.writerDone
	}))
	ctx := context.Background()
	peer, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(r.srv.URL, "http"), nil)
	if err != nil {
		r.srv.Close()
		tb.Fatalf("dial: %v", err)
	}
	peer.SetReadLimit(1 << 24)
	r.peer = peer
	r.c = <-ready
	go r.read()
	return r
}

// read is the peer: it reads messages until the connection ends.
func (r *writerRig) read() {
	defer close(r.peerEnd)
	if r.paused != nil {
		<-r.paused
	}
	var buf bytes.Buffer
	for {
		_, rd, err := r.peer.Reader(context.Background())
		if err != nil {
			r.mu.Lock()
			r.peerErr = err
			r.mu.Unlock()
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(rd); err != nil {
			r.mu.Lock()
			r.peerErr = err
			r.mu.Unlock()
			return
		}
		r.count(buf.Bytes())
	}
}

func (r *writerRig) count(msg []byte) {
	n := int64(bytes.Count(msg, []byte{'\n'}) + 1)
	if r.record {
		r.mu.Lock()
		for _, f := range bytes.Split(msg, []byte{'\n'}) {
			r.got = append(r.got, string(f))
		}
		r.mu.Unlock()
	}
	r.messages.Add(1)
	if n > r.maxMsg.Load() {
		r.maxMsg.Store(n) // the peer goroutine is the only writer
	}
	r.frames.Add(n)
	select {
	case r.arrived <- struct{}{}:
	default:
	}
}

// resume lets a paused peer read.
func (r *writerRig) resume() { close(r.paused) }

// waitFrames blocks until the peer has received n frames in all; it fails
// when the peer's connection ends first. (No timer: the benchmarks call it
// per frame and count its allocations.)
func (r *writerRig) waitFrames(tb testing.TB, n int64) {
	for r.frames.Load() < n {
		select {
		case <-r.arrived:
		case <-r.peerEnd:
			if r.frames.Load() < n {
				tb.Fatalf("peer ended (%v) with %d frames, want %d", r.peerError(), r.frames.Load(), n)
			}
		}
	}
}

// peerError returns the error that ended the peer's reading.
func (r *writerRig) peerError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peerErr
}

// close ends both sides and waits for every goroutine of the rig.
func (r *writerRig) close() {
	if r.paused != nil {
		select {
		case <-r.paused:
		default:
			close(r.paused)
		}
	}
	_ = r.peer.Close(websocket.StatusNormalClosure, "")
	_ = r.peer.CloseNow()
	<-r.peerEnd
	<-r.served
	r.srv.Close()
}
