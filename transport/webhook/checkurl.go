package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// MaxURLBytes is the longest endpoint URL.
const MaxURLBytes = 2048

// Errors of CheckURL: ErrInvalidURL for a URL that is not an acceptable
// endpoint URL at all (400 validation_failed), ErrURLRefused for one whose
// host is or resolves to an internal address (400 webhook_url_refused).
var (
	ErrInvalidURL = errors.New("webhook: invalid endpoint url")
	ErrURLRefused = errors.New("webhook: endpoint url refused")
)

// checkURLTimeout bounds CheckURL's resolution.
const checkURLTimeout = 5 * time.Second

// CheckURL is the save-time check of an endpoint URL: http or https, at
// most MaxURLBytes, no userinfo, a host; and the host, unless allow lists
// it (host names, IPs or CIDRs, as Config.AllowHosts), must be a public
// address or resolve only to public addresses (Internal). Passing it
// proves nothing at send time (DNS changes): the dialer checks again.
func CheckURL(raw string, allow []string) error {
	g, err := newGuard(allow)
	if err != nil {
		return err
	}
	u, err := parseEndpointURL(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if g.hostAllowed(host) {
		return nil
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !g.ipAllowed(ip) {
			return fmt.Errorf("%w: %s is an internal address", ErrURLRefused, ip)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkURLTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return fmt.Errorf("%w: host %q does not resolve", ErrURLRefused, host)
	}
	for _, ip := range ips {
		if !g.ipAllowed(ip) {
			return fmt.Errorf("%w: %s resolves to an internal address", ErrURLRefused, host)
		}
	}
	return nil
}

// parseEndpointURL checks the syntax of an endpoint URL.
func parseEndpointURL(raw string) (*url.URL, error) {
	if raw == "" || len(raw) > MaxURLBytes {
		return nil, fmt.Errorf("%w: empty or longer than %d bytes", ErrInvalidURL, MaxURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: does not parse", ErrInvalidURL)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%w: scheme must be http or https", ErrInvalidURL)
	case u.User != nil:
		return nil, fmt.Errorf("%w: no user info allowed", ErrInvalidURL)
	case u.Hostname() == "" || u.Opaque != "":
		return nil, fmt.Errorf("%w: no host", ErrInvalidURL)
	case u.Fragment != "":
		return nil, fmt.Errorf("%w: no fragment allowed", ErrInvalidURL)
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: bad port", ErrInvalidURL)
		}
	}
	return u, nil
}
