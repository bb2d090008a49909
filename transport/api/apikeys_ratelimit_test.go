package api

import (
	"strconv"
	"testing"
	"time"
)

// The key path charges the key's own rpm: every answer to a secret key
// carries X-RateLimit-* counting down exactly, the request past the limit
// is 429 with Retry-After, and a session caller is never charged.
func TestAPIKeyRequestsCarryRateLimitHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.seedOrg("Acme")
	k := e.createKey(tok, map[string]any{"name": "k", "scopes": []string{"chats:read"}, "rpm": 3})
	for want := 2; want >= 0; want-- {
		r := e.do("GET", "/rest/v1/conversations", nil, bearer(k.Key)).expect(t, 200, "")
		if got := r.header.Get("X-RateLimit-Limit"); got != "3" {
			t.Fatalf("X-RateLimit-Limit = %q, want 3", got)
		}
		if got := r.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(want) {
			t.Fatalf("X-RateLimit-Remaining = %q, want %d", got, want)
		}
		reset, err := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
		if err != nil || reset <= e.clock.Now().Unix() {
			t.Fatalf("X-RateLimit-Reset = %q, want a unix second after now", r.header.Get("X-RateLimit-Reset"))
		}
	}
	r := e.do("GET", "/rest/v1/conversations", nil, bearer(k.Key)).expect(t, 429, "rate_limited")
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds >= 1", r.header.Get("Retry-After"))
	}
	if r := e.do("GET", "/rest/v1/conversations", nil, bearer(tok)).expect(t, 200, ""); r.header.Get("X-RateLimit-Limit") != "" {
		t.Fatal("a session request was charged to the key windows")
	}
	e.clock.Advance(time.Minute)
	e.do("GET", "/rest/v1/conversations", nil, bearer(k.Key)).expect(t, 200, "")
}
