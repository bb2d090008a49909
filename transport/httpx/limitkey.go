package httpx

import "net/netip"

// IPLimitKey is the rate-limit and cap key of a client address: an IPv4
// address itself (an IPv4-mapped IPv6 address as its IPv4 form), an IPv6
// address its /64 — one subscriber's usual allocation, so hopping between
// the addresses of one network neither resets a window nor opens a new
// bucket. Anything that is not an address is used as it is.
//
// Every per-IP limit (sign-in, registration, visitor sessions, socket caps)
// keys by it.
func IPLimitKey(ip string) string {
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
