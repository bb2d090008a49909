package api

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// normOrigin validates an allowed origin and returns it in the form a
// browser sends in its Origin header: lower-case "scheme://host[:port]",
// http or https, no user info, path, query, fragment or wildcard, and no
// default port (":443" on https, ":80" on http are dropped).
func normOrigin(raw string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	if s == "" || len(s) > 300 || strings.ContainsAny(s, "*\\ \t") {
		return "", errors.New(`must be "scheme://host[:port]" without wildcards`)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("scheme must be http or https")
	}
	if u.Opaque != "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#") {
		return "", errors.New("must have no path, user, query or fragment")
	}
	host, port := u.Hostname(), u.Port()
	if !validHost(host) {
		return "", errors.New("host is not a valid host name or IP address")
	}
	if strings.HasSuffix(u.Host, ":") || port != "" && !validPort(port) {
		return "", errors.New("port must be 1-65535")
	}
	if port == defaultPort(u.Scheme) {
		port = ""
	}
	if port == "" {
		return u.Scheme + "://" + bracket(host), nil
	}
	return u.Scheme + "://" + net.JoinHostPort(host, port), nil
}

func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return !strings.Contains(h, "%") // no IPv6 zones
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == p
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

func bracket(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// originAllowed reports whether origin is exactly one of allowed.
func originAllowed(origin string, allowed []string) bool {
	for _, o := range allowed {
		if o == origin {
			return true
		}
	}
	return false
}
