package httpx

import (
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/rs/zerolog"
)

// Bounds of RefusedOrigins: each origin is logged at most once per
// refusedOriginEvery, and at most refusedOriginsTracked distinct origins are
// remembered (past that the memory is cleared and logging starts over), so a
// client sending a new Origin on every request cannot flood the log or grow
// memory.
const (
	refusedOriginEvery    = 10 * time.Minute
	refusedOriginsTracked = 1024
	maxLoggedOrigin       = 120
)

// RefusedOrigins logs one warning line per refused browser origin, naming
// the origin and the setting that would allow it. It is safe for concurrent
// use; the zero value logs nothing (no logger).
type RefusedOrigins struct {
	log zerolog.Logger
	now func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time // origin+hint → when last logged
}

// NewRefusedOrigins returns a RefusedOrigins writing to log on clock now
// (nil: time.Now).
func NewRefusedOrigins(log zerolog.Logger, now func() time.Time) *RefusedOrigins {
	if now == nil {
		now = time.Now
	}
	return &RefusedOrigins{log: log, now: now, seen: make(map[string]time.Time)}
}

// Warn logs that origin was refused, with hint saying how to allow it,
// unless the same origin and hint were logged within the last 10 minutes.
// The origin is sanitised (control characters dropped, at most 120
// characters): it is client input.
func (r *RefusedOrigins) Warn(origin, hint string) {
	if r == nil || r.seen == nil {
		return
	}
	origin = cleanOrigin(origin)
	if !r.first(origin + "\x00" + hint) {
		return
	}
	r.log.Warn().Str("origin", origin).Msg("refused browser origin " + origin + ": " + hint)
}

// first records key and reports whether it was not logged recently.
func (r *RefusedOrigins) first(key string) bool {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if at, ok := r.seen[key]; ok && now.Sub(at) < refusedOriginEvery {
		return false
	}
	if len(r.seen) >= refusedOriginsTracked {
		clear(r.seen)
	}
	r.seen[key] = now
	return true
}

// cleanOrigin makes client input safe to log: printable characters only,
// bounded length.
func cleanOrigin(s string) string {
	s = strings.Map(func(c rune) rune {
		if unicode.IsPrint(c) && c != '"' {
			return c
		}
		return -1
	}, s)
	if r := []rune(s); len(r) > maxLoggedOrigin {
		s = string(r[:maxLoggedOrigin]) + "…"
	}
	if s == "" {
		return "(empty)"
	}
	return s
}
