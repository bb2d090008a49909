package ws

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Caps on open connections, counted on this node: per client IP (IPv6 by
// /64, httpx.IPLimitKey) and per subject (one visitor, one agent). They are
// high enough for an office of agents behind one NAT address, low enough
// that one token or one address cannot hold thousands of idle sockets.
const (
	DefaultConnsPerIP      = 200
	DefaultConnsPerSubject = 20
	// NoCap, as Config.ConnsPerIP or Config.ConnsPerSubject, turns that cap
	// off.
	NoCap = -1
)

// CodeTooManyConnections is the error code of an upgrade refused by a
// connection cap: HTTP 429 with Retry-After. A subject known only from its
// auth frame is closed with wire.CloseTooManyConnections instead.
const CodeTooManyConnections = "too_many_connections"

// capRetryAfter is the Retry-After of a refused upgrade. A slot frees when
// one of the holder's sockets closes, at no time known in advance.
const capRetryAfter = 10 * time.Second

// capWarnEvery bounds the warning logged when a cap refuses connections.
const capWarnEvery = time.Minute

// connCaps counts the open connections of every client IP and subject.
type connCaps struct {
	ip, subject *capCounter
}

func newConnCaps(cfg *Config) *connCaps {
	return &connCaps{
		ip:      newCapCounter(cfg.ConnsPerIP, "--ws-conns-per-ip", cfg.Logger, cfg.Now),
		subject: newCapCounter(cfg.ConnsPerSubject, "--ws-conns-per-subject", cfg.Logger, cfg.Now),
	}
}

// slots are the cap slots one connection holds; release frees them. The
// zero value holds none.
type slots struct {
	caps        *connCaps
	ip, subject string // "" when not held
}

// reserve takes the slots of a new connection from r: its client IP's and,
// when the token came with the upgrade, its subject's. On refusal nothing
// is held and the error is the 429 to answer.
func (s *Server) reserve(r *http.Request, p *security.Principal) (slots, *httpx.Error) {
	held := slots{caps: s.caps}
	ip := httpx.IPLimitKey(s.cfg.ClientIP.ClientIP(r))
	if !s.caps.ip.acquire(ip) {
		return slots{}, tooManyConnections("too many connections from this address")
	}
	held.ip = ip
	if p != nil && !held.addSubject(*p) {
		held.release()
		return slots{}, tooManyConnections("too many connections for this session's user")
	}
	return held, nil
}

// addSubject takes the subject's slot; false when its cap is reached.
func (h *slots) addSubject(p security.Principal) bool {
	if h.caps == nil {
		return true // a connection without caps (tests of the frame path)
	}
	key := string(p.Kind) + "\x00" + p.OrgID + "\x00" + p.SubjectID
	if !h.caps.subject.acquire(key) {
		return false
	}
	h.subject = key
	return true
}

// release frees every slot held (idempotent).
func (h *slots) release() {
	if h.caps == nil {
		return
	}
	if h.ip != "" {
		h.caps.ip.release(h.ip)
	}
	if h.subject != "" {
		h.caps.subject.release(h.subject)
	}
	*h = slots{}
}

func tooManyConnections(msg string) *httpx.Error {
	return &httpx.Error{Status: http.StatusTooManyRequests, Code: CodeTooManyConnections,
		Message: msg + "; close some or retry later"}
}

// writeCapRefusal answers an upgrade refused by a cap.
func writeCapRefusal(w http.ResponseWriter, e *httpx.Error) {
	w.Header().Set("Retry-After", strconv.Itoa(httpx.RetryAfterSeconds(capRetryAfter)))
	httpx.WriteErr(w, e)
}

// capCounter counts open connections by key under one cap.
type capCounter struct {
	max  int // 0: no cap (nothing is counted)
	flag string
	log  zerolog.Logger
	now  func() time.Time
	warn atomic.Int64 // unix nanoseconds of the last warning

	mu   sync.Mutex
	open map[string]int
}

func newCapCounter(limit int, flag string, log zerolog.Logger, now func() time.Time) *capCounter {
	return &capCounter{max: max(limit, 0), flag: flag, log: log, now: now, open: make(map[string]int)}
}

// acquire counts one more connection of key; false (nothing counted) when
// key already has max.
func (c *capCounter) acquire(key string) bool {
	if c.max == 0 {
		return true
	}
	c.mu.Lock()
	n := c.open[key]
	if n < c.max {
		c.open[key] = n + 1
	}
	c.mu.Unlock()
	if n >= c.max {
		c.warnFull()
		return false
	}
	return true
}

func (c *capCounter) release(key string) {
	if c.max == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.open[key]; n > 1 {
		c.open[key] = n - 1
	} else {
		delete(c.open, key)
	}
}

// count returns the open connections counted for key.
func (c *capCounter) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open[key]
}

// warnFull logs, at most once a minute, that the cap refused a connection
// (never the key: it is an address or a user).
func (c *capCounter) warnFull() {
	now := c.now().UnixNano()
	last := c.warn.Load()
	if last != 0 && now-last < int64(capWarnEvery) || !c.warn.CompareAndSwap(last, now) {
		return
	}
	c.log.Warn().Str("flag", c.flag).Int("cap", c.max).
		Msg("WebSocket connection cap reached: refusing connections (if many legitimate clients share one address, raise the cap; logged at most once a minute)")
}
