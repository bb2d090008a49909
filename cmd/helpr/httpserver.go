package main

import (
	"net/http"
	"time"
)

// httpTimeouts bound how long one client may hold a connection of a
// listener without finishing a request. Zero fields mean the defaults.
type httpTimeouts struct {
	// ReadHeader bounds the request line and headers.
	ReadHeader time.Duration
	// Read bounds the whole request, headers and body, from its first
	// byte: a client trickling a body is cut off when it passes. Requests
	// are small (REST bodies are capped at 64 KiB), so it is generous.
	Read time.Duration
	// Idle bounds a keep-alive connection between requests.
	Idle time.Duration
}

// Defaults of httpTimeouts.
const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultReadTimeout       = 30 * time.Second
	defaultIdleTimeout       = 120 * time.Second
	maxHeaderBytes           = 64 << 10
)

func (t httpTimeouts) withDefaults() httpTimeouts {
	if t.ReadHeader <= 0 {
		t.ReadHeader = defaultReadHeaderTimeout
	}
	if t.Read <= 0 {
		t.Read = defaultReadTimeout
	}
	t.ReadHeader = min(t.ReadHeader, t.Read)
	if t.Idle <= 0 {
		t.Idle = defaultIdleTimeout
	}
	return t
}

// newHTTPServer returns the http.Server of every helpr listener (the public
// one, --pprof-addr, --metrics-addr): header, body and idle time bounded,
// headers capped at 64 KiB.
//
// WebSocket connections are not cut by Read: net/http clears a hijacked
// connection's deadlines (Go 1.26 net/http conn.hijackLocked calls
// SetDeadline(time.Time{})), and from then on transport/ws bounds its own
// I/O: the auth deadline, a deadline on every write, and pings with a pong
// wait (github.com/coder/websocket enforces them with contexts, never with
// deadlines on the net.Conn). There is no WriteTimeout: it would cut
// legitimate long responses (pprof's 30 s CPU profile, a large export).
func newHTTPServer(h http.Handler, t httpTimeouts) *http.Server {
	t = t.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}
