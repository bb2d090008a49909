package api

import (
	"net/netip"
	"sync/atomic"
	"time"
)

// Default limits of POST /visitor/sessions: anyone holding a public
// publishable key may call it, so it is limited per client IP and per
// widget. A cluster builds its shared windows with the configured numbers.
const (
	DefaultVisitorSessionIPLimit      = 20
	DefaultVisitorSessionIPWindow     = time.Minute
	DefaultVisitorSessionWidgetLimit  = 1000
	DefaultVisitorSessionWidgetWindow = time.Hour
)

// Names of the visitor-session limits, in logs and in
// helpr_rate_limited_total{limit}; a cluster's Redis prefixes use them too.
const (
	limitVisitorIP     = "visitor_session_ip"
	limitVisitorWidget = "visitor_session_widget"
)

// fallbackTimeout bounds one shared check of a fail-open limit: past it
// the request is counted on this node instead, so a hung Redis slows
// visitor sessions by at most this much.
const fallbackTimeout = time.Second

// warnEvery is the least time between two fallback warnings of one limit.
const warnEvery = time.Minute

// newFallbackLimiter returns a limiter that fails open to this node: an
// in-memory window with cfg's numbers (def's where cfg has none), checked
// alone on a single node and as the fallback of shared when shared is set.
// A Disabled cfg means no limiter at all.
func newFallbackLimiter(name string, shared Limiter, cfg, def RateLimit, now func() time.Time) limiter {
	if cfg.Disabled {
		return limiter{name: name}
	}
	local := window(cfg, def, now)
	if shared == nil {
		return limiter{name: name, l: localLimiter{local}}
	}
	return limiter{name: name, l: shared, local: local, warned: &warnGate{}}
}

// warnGate lets one warning through per warnEvery. It is safe for
// concurrent use.
type warnGate struct {
	next atomic.Int64 // unix nanoseconds before which the gate stays shut
}

// open reports whether a warning may be logged at now, and if so shuts the
// gate for warnEvery.
func (g *warnGate) open(now time.Time) bool {
	next := g.next.Load()
	if now.UnixNano() < next {
		return false
	}
	return g.next.CompareAndSwap(next, now.Add(warnEvery).UnixNano())
}

// ipKey is the rate-limit key of a client address: an IPv4 address itself,
// an IPv6 address its /64 (one subscriber's usual allocation, so hopping
// between the addresses of one network does not reset the window).
// Anything that is not an address is used as it is.
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}
