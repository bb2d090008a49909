package webhook

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// newClient returns the HTTP client of deliveries: no proxy (a proxy
// would dial on the sender's behalf, past the address check), every dial
// guarded, redirects never followed, each attempt bounded by cfg.Timeout.
func newClient(cfg Config, g *guard) *http.Client {
	guarded := &net.Dialer{Timeout: cfg.Timeout, Resolver: cfg.Resolver, Control: g.control}
	open := &net.Dialer{Timeout: cfg.Timeout, Resolver: cfg.Resolver}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            g.dialContext(guarded, open),
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 16 << 10,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
