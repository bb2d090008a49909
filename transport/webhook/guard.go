package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// ErrAddressRefused is the dial error for an internal address that
// AllowHosts does not list.
var ErrAddressRefused = errors.New("webhook: destination address refused")

// blockedPrefixes are the ranges a webhook may not reach unless allowed:
// besides what netip's predicates cover (loopback, RFC 1918 and ULA
// private, link-local, multicast, unspecified), "this network",
// CGNAT, IETF protocol assignments, benchmarking, reserved and broadcast
// IPv4, and the IPv6 translation and discard prefixes.
var blockedPrefixes = mustPrefixes(
	"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
	"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
	"::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10",
)

func mustPrefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Internal reports whether ip is an address webhooks may not reach by
// default: loopback, private (RFC 1918, ULA fc00::/7), link-local (cloud
// metadata 169.254.169.254 among them), CGNAT 100.64.0.0/10,
// unspecified, multicast, reserved and documentation ranges, and IPv6
// forms that embed such an IPv4 address (IPv4-mapped ::ffff:a.b.c.d,
// NAT64 64:ff9b::/96, 6to4 2002::/16).
func Internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	if v4, ok := embeddedV4(ip); ok {
		return Internal(v4)
	}
	return false
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// embeddedV4 returns the IPv4 address a NAT64 or 6to4 address carries.
func embeddedV4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixTo4.Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// guard decides which destinations are allowed: public addresses always,
// internal ones only when AllowHosts lists their IP, a prefix holding it,
// or the host name dialled.
type guard struct {
	hosts    map[string]bool
	prefixes []netip.Prefix
}

// newGuard parses AllowHosts: each entry is an IP, a CIDR prefix or a
// host name (compared case-insensitively, without a trailing dot).
func newGuard(allow []string) (*guard, error) {
	g := &guard{hosts: map[string]bool{}}
	for _, raw := range allow {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			g.prefixes = append(g.prefixes, p.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(s); err == nil {
			g.prefixes = append(g.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			continue
		}
		if strings.ContainsAny(s, "/:@ ") {
			return nil, fmt.Errorf("webhook: allowed host %q is neither a host name, an IP nor a CIDR", s)
		}
		g.hosts[normHost(s)] = true
	}
	return g, nil
}

func normHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// hostAllowed reports whether host (a name or literal) is listed by name.
func (g *guard) hostAllowed(host string) bool { return g.hosts[normHost(host)] }

// ipAllowed reports whether ip may be reached.
func (g *guard) ipAllowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range g.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return !Internal(ip)
}

// control is the net.Dialer.Control of guarded dials: it runs after
// resolution, on the address about to be connected, so no DNS answer
// (rebinding included) can steer a webhook to an internal address.
func (g *guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrAddressRefused, address)
	}
	if !g.ipAllowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrAddressRefused, ap.Addr())
	}
	return nil
}

// dialContext dials addr: without the address check when its host is
// listed by name in AllowHosts, with it otherwise.
func (g *guard) dialContext(guarded, open *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err == nil && g.hostAllowed(host) {
			return open.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
}
