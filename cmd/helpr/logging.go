package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/internal/metrics"
)

// newLogger returns the process logger: JSON lines by default, human
// console output with --log-format=console, coloured only on a terminal.
func newLogger(cfg Config, out io.Writer) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil {
		return zerolog.Nop(), fmt.Errorf("--log-level %q: %w", cfg.LogLevel, err)
	}
	if cfg.LogFormat == "console" {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly, NoColor: !isTerminal(out)}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), nil
}

// isTerminal reports whether w is a character device such as a terminal;
// a pipe, a file or a buffer is not.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// logRequests logs each request's method, path (never the query, which
// could carry something secret), status and duration, and counts it.
func (a *app) logRequests(next http.Handler, m *metrics.Helpr) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		m.HTTPRequests.With(routeLabel(r), strconv.Itoa(rec.status)).Inc()
		a.log.Debug().Str("method", r.Method).Str("path", r.URL.Path).
			Int("status", rec.status).Dur("duration", time.Since(start)).Msg("http request")
	})
}

// routeLabel keeps the metric's cardinality bounded: a fixed set of
// prefixes, never raw paths with ids in them.
func routeLabel(r *http.Request) string {
	p := r.URL.Path
	for _, prefix := range []string{"/rest/v1/ws", "/rest/v1/auth", "/rest/v1/agents", "/rest/v1/widgets",
		"/rest/v1/visitor", "/rest/v1/conversations", "/rest/v1/messages", "/rest/v1/me",
		"/healthz", "/readyz", "/metrics"} {
		if len(p) >= len(prefix) && p[:len(prefix)] == prefix {
			return prefix
		}
	}
	return "other"
}

// statusRecorder remembers the status code written through it. It passes
// Hijack and Flush through (WebSocket upgrades need Hijack).
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
