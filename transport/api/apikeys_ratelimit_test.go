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

// POST /auth/token and /auth/invalidate-token authenticate with a key pair
// in the body and are charged to that key like bearer requests.
func TestChatTokenEndpointsAreRateLimitedPerKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withChatTokens(t))
	o := e.tokenOrg("Acme")
	if err := e.store.UpdateAPIKey(t.Context(), o.owner.OrgID, o.keyID, "backend", 2); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"keyId": o.keyID, "keySecret": o.secret, "user": map[string]any{"id": "u1"}}
	r := e.do("POST", "/rest/v1/auth/token", body).expect(t, 200, "")
	if r.header.Get("X-RateLimit-Limit") != "2" || r.header.Get("X-RateLimit-Remaining") != "1" {
		t.Fatalf("headers %v", r.header)
	}
	var out chatTokenResponse
	r.json(t, &out)
	inv := map[string]any{"keyId": o.keyID, "keySecret": o.secret, "customerUserId": out.CustomerUserID}
	e.do("POST", "/rest/v1/auth/invalidate-token", inv).expect(t, 200, "")
	e.do("POST", "/rest/v1/auth/token", body).expect(t, 429, "rate_limited")
}
