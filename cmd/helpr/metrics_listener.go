package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/transport/httpx"
)

// Where Prometheus metrics are served. They are never public: by default on
// their own loopback listener (--metrics-addr), and on the main listener
// only to a bearer token (--metrics-token-file). Without a token file, GET
// /metrics on the main listener is 404.
const (
	defaultMetricsAddr = "127.0.0.1:9464"
	// metricsOff is the --metrics-addr value that opens no metrics
	// listener: a second node on the same machine, or a node scraped
	// through the main listener with a token.
	metricsOff = "off"
	// Bounds of the token file: a token shorter than minMetricsToken bytes
	// is guessable, a file larger than maxMetricsTokenFile is not a token.
	minMetricsToken     = 16
	maxMetricsTokenFile = 4 << 10
)

// metricsListenerOn reports whether addr asks for a metrics listener.
func metricsListenerOn(addr string) bool { return addr != "" && addr != metricsOff }

// validMetricsAddr checks --metrics-addr: off or host:port.
func validMetricsAddr(addr string) error {
	if !metricsListenerOn(addr) {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("--metrics-addr %q: want host:port or off", addr)
	}
	return nil
}

// newMetricsServer returns the server of the metrics listener: GET /metrics
// and nothing else, with the main listener's timeouts and header bound.
func newMetricsServer(metricsHandler http.Handler) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler)
	return newHTTPServer(mux, httpTimeouts{})
}

// serveMetrics serves metricsHandler on ln until the returned function is
// called, which shuts the server down (waiting at most a second).
func serveMetrics(ln net.Listener, metricsHandler http.Handler, log zerolog.Logger) (stop func()) {
	srv := newMetricsServer(metricsHandler)
	go func() { _ = srv.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Msg("serving metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}

// loadMetricsToken reads the bearer token of --metrics-token-file ("" for
// none): the file's content without surrounding white space, at least 16
// bytes, in a regular file that group and others cannot read. The token is
// never logged, and errors never quote it.
func loadMetricsToken(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--metrics-token-file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("--metrics-token-file: %w", err)
	}
	if !fi.Mode().IsRegular() || (runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0) {
		return nil, fmt.Errorf("--metrics-token-file %s: want a regular file only its owner can read (chmod 600)", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxMetricsTokenFile+1))
	if err != nil {
		return nil, fmt.Errorf("--metrics-token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(b) > maxMetricsTokenFile || len(tok) < minMetricsToken || strings.ContainsAny(tok, " \t\r\n") {
		return nil, fmt.Errorf("--metrics-token-file %s: want one token of %d to %d bytes", path,
			minMetricsToken, maxMetricsTokenFile)
	}
	return []byte(tok), nil
}

// errMetricsToken answers a scrape of the main listener without the token.
var errMetricsToken = errors.New("metrics need the bearer token")

// metricsBehindToken serves h only to requests whose Authorization header
// is "Bearer <token>". The comparison is of SHA-256 digests in constant
// time, so neither the token's bytes nor its length leak through timing.
func metricsBehindToken(h http.Handler, token []byte) http.Handler {
	want := sha256.Sum256(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			httpx.WriteError(w, http.StatusUnauthorized, "unauthorized", errMetricsToken.Error())
			return
		}
		h.ServeHTTP(w, r)
	})
}
