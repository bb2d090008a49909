// Package ws is helpr's WebSocket endpoint: origin and token checks before
// the upgrade, then one reader and one writer goroutine per connection, with
// every frame passing the per-frame security middleware (token re-validation,
// rate limit, schema validation) before it reaches the hub.
package ws

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/wire"
)

// Server accepts WebSocket connections at /rest/v1/ws.
type Server struct {
	cfg Config

	sweep      *sweeper                 // pings and idle re-validation of every connection
	revalidate *revalidator             // the sweeper's store reads, off its goroutine
	convLimit  *security.FallbackWindow // conversation.start per visitor; nil: unlimited
	caps       *connCaps                // open connections per client IP and per subject

	own     []string              // PublicOrigin, then OriginAliases
	refused *httpx.RefusedOrigins // one warning per refused origin
	outage  *outageLog            // store outages, at most one warning a minute

	appends       appendGate   // message.send appends running (pushback.go)
	backpressured atomic.Int64 // times a reader waited on a full window
	overloads     atomic.Int64 // sends answered overloaded
	pongsMissed   atomic.Int64 // pings that got no pong in time
	pingsExcused  atomic.Int64 // of them, while the reader was not reading

	mu        sync.Mutex
	conns     map[*conn]struct{}
	bySession map[string][]*conn // usually one connection per session
	closing   bool
	wg        sync.WaitGroup
}

// NewServer returns a Server. cfg.Hub, cfg.Sessions and cfg.Directory are
// required.
func NewServer(cfg Config) *Server {
	cfg.applyDefaults()
	s := &Server{
		cfg:       cfg,
		own:       append([]string{cfg.PublicOrigin}, cfg.OriginAliases...),
		refused:   httpx.NewRefusedOrigins(cfg.Logger, cfg.Now),
		outage:    &outageLog{log: cfg.Logger, now: cfg.Now},
		sweep:     newSweeper(cfg.PingInterval, cfg.RevalidateInterval),
		convLimit: newConvLimiter(&cfg),
		caps:      newConnCaps(&cfg),
		conns:     make(map[*conn]struct{}),
		bySession: make(map[string][]*conn),
	}
	s.appends.max = cfg.MaxAppends
	s.revalidate = newServerRevalidator(s)
	cfg.Sessions.OnRevoke(s.closeSession)
	return s
}

// ServeHTTP checks the Origin and any token presented with the request, then
// upgrades and serves the connection until it ends.
//
// The handler goroutine is the connection's reader for its whole life, so
// its stack is most of an idle connection's cost: the upgrade (and the
// authentication, see serve) runs on a spare goroutine (onSpareStack), so
// that its deep calls never grow the reader's stack.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var c *conn
	onSpareStack(func() { c = s.upgrade(w, r) })
	if c == nil {
		return
	}
	defer s.untrack(c)
	c.serve(r.Context())
}

// upgrade admits and upgrades the request and tracks the new connection;
// nil when it was refused (the response is written).
//
//go:noinline
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request) *conn {
	if r.Method != http.MethodGet {
		httpx.WriteError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET to open a WebSocket")
		return nil
	}
	if s.refuseVersion(w, r) {
		return nil
	}
	gate, herr := s.admit(r)
	if herr == nil && gate.chatToken != "" {
		herr = s.admitChatToken(r, &gate)
	}
	if herr != nil {
		s.cfg.Metrics.Rejections.With(herr.Code).Inc()
		httpx.WriteError(w, herr.Status, herr.Code, herr.Message)
		return nil
	}
	held, herr := s.reserve(r, gate.principal)
	if herr != nil {
		s.cfg.Metrics.Rejections.With(herr.Code).Inc()
		writeCapRefusal(w, herr)
		return nil
	}
	// The Origin has already been checked against an exact allowlist above,
	// which is stricter than the library's same-host check.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		held.release()
		return nil // Accept has written the HTTP error
	}
	ws.SetReadLimit(wire.MaxFrameBytes)
	c := newConn(s, ws, gate)
	c.slots = held
	if !s.track(c) {
		c.slots.release()
		_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
		return nil
	}
	return c
}

// Shutdown drains every connection, bounded by ctx: no new socket is
// accepted, no connection takes a new frame, the frames being handled (a
// message.send waiting for the store, say) finish and queue their replies,
// each writer flushes its queue (every stored message's ack) and then
// closes with 1001 (reconnect elsewhere). It returns when every connection
// has ended; when ctx ends first, the connections still open are dropped
// without a close handshake and Shutdown reports them.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		go c.drain(wire.CloseGoingAway, "server shutting down, reconnect")
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	n := len(s.conns)
	for c := range s.conns {
		c.end(ending{closing: closing{label: "shutdown_timeout"}, abort: true})
	}
	s.mu.Unlock()
	return fmt.Errorf("websocket shutdown: %d connections did not drain in time, dropped: %w", n, ctx.Err())
}

// ConnCount returns the number of open connections.
func (s *Server) ConnCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.cfg.Metrics.Connections.Inc()
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if c.sessionID != "" {
		s.unbindLocked(c, c.sessionID)
	}
	s.mu.Unlock()
	c.slots.release()
	s.cfg.Metrics.Connections.Dec()
	s.wg.Done()
}

// bind records that c is authenticated by sessionID, so that revoking the
// session closes it at once.
func (s *Server) bind(c *conn, sessionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bindLocked(c, sessionID)
}

// rebind moves c to another session of the same subject (re-auth).
func (s *Server) rebind(c *conn, sessionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unbindLocked(c, c.sessionID)
	s.bindLocked(c, sessionID)
}

func (s *Server) bindLocked(c *conn, sessionID string) {
	c.sessionID = sessionID
	s.bySession[sessionID] = append(s.bySession[sessionID], c)
}

func (s *Server) unbindLocked(c *conn, sessionID string) {
	list := slices.DeleteFunc(s.bySession[sessionID], func(o *conn) bool { return o == c })
	if len(list) == 0 {
		delete(s.bySession, sessionID)
		return
	}
	s.bySession[sessionID] = list
}

// closeSession closes every connection of a revoked session. It is a
// Sessions.OnRevoke listener and does not block.
func (s *Server) closeSession(sessionID string) {
	s.mu.Lock()
	conns := slices.Clone(s.bySession[sessionID])
	s.mu.Unlock()
	for _, c := range conns {
		c.fail(closeFor(errSessionRevoked))
	}
}
