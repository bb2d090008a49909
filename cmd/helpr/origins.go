package main

import (
	"net"
	"net/netip"
	"net/url"
	"slices"
)

// ownOrigins returns the origins that are this hub: the public origin
// first, then, when no public URL was configured (it is the one derived
// from --addr) and the listen host is a loopback or unspecified address,
// the loopback aliases of the same port — so http://localhost:8080 and
// http://127.0.0.1:8080 are the same hub to a developer's browser. A public
// URL that was configured stands alone: browsers must use exactly it.
func ownOrigins(cfg Config) []string {
	origin, err := publicOrigin(cfg.PublicURL)
	if err != nil {
		return nil
	}
	own := []string{origin}
	if cfg.PublicURL != defaultPublicURL(cfg.Addr, cfg.TLSCert != "") || !loopbackListen(cfg.Addr) {
		return own
	}
	u, err := url.Parse(origin)
	if err != nil {
		return own
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		alias := u.Scheme + "://" + net.JoinHostPort(host, u.Port())
		if !slices.Contains(own, alias) {
			own = append(own, alias)
		}
	}
	return own
}

// loopbackListen reports whether addr listens on a loopback address, on
// every address ("", 0.0.0.0, ::) or on the name localhost.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "" || host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && (ip.IsLoopback() || ip.IsUnspecified())
}
