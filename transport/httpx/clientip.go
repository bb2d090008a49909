package httpx

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIPResolver finds a request's client address. It trusts
// X-Forwarded-For only when the direct peer is one of its trusted proxies,
// so a client cannot spoof its address by sending the header itself.
// A ClientIPResolver is immutable and safe for concurrent use; a nil
// *ClientIPResolver trusts no proxy.
type ClientIPResolver struct {
	trusted []netip.Prefix
}

// NewClientIPResolver returns a resolver trusting the given proxy prefixes
// (none: X-Forwarded-For is always ignored).
func NewClientIPResolver(trusted []netip.Prefix) *ClientIPResolver {
	t := make([]netip.Prefix, 0, len(trusted))
	for _, p := range trusted {
		t = append(t, p.Masked())
	}
	return &ClientIPResolver{trusted: t}
}

// ClientIP returns the request's RemoteAddr host unless that address is a
// trusted proxy; then it walks X-Forwarded-For from the right and returns
// the first hop that is not a trusted proxy. If every hop is trusted it
// returns the left-most one; a malformed hop ends the walk at the last
// well-formed address seen.
func (c *ClientIPResolver) ClientIP(r *http.Request) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return hostOnly(r.RemoteAddr)
	}
	if !c.isTrusted(peer) {
		return peer.String()
	}
	hops := forwardedHops(r.Header.Values("X-Forwarded-For"))
	last := peer
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(hops[i])
		if err != nil {
			break
		}
		last = hop.Unmap().WithZone("")
		if !c.isTrusted(last) {
			break
		}
	}
	return last.String()
}

func (c *ClientIPResolver) isTrusted(a netip.Addr) bool {
	if c == nil {
		return false
	}
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedHops flattens one or more X-Forwarded-For headers, in order.
func forwardedHops(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	return hops
}

func parseAddr(remote string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(hostOnly(remote))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func hostOnly(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}
