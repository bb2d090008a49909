package api

import (
	"fmt"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/transport/httpx"
)

func TestRegisterRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits)
	register := func(i int, ip string) resp {
		return e.do("POST", "/rest/v1/auth/register", registerBody(fmt.Sprintf("user%d@example.com", i)), fromIP(ip))
	}
	for i := range 3 {
		register(i, "198.51.100.1").expect(t, 201, "")
		e.clock.Advance(time.Second)
	}
	r := register(3, "198.51.100.1").expect(t, 429, httpx.CodeRateLimited)
	if got := r.header.Get("Retry-After"); got != "57" { // now is first+3 s; the first leaves at first+60 s
		t.Fatalf("Retry-After %q", got)
	}
	register(4, "198.51.100.2").expect(t, 201, "") // another client is unaffected
	e.clock.Advance(56 * time.Second)              // 59 s after the first
	register(5, "198.51.100.1").expect(t, 429, httpx.CodeRateLimited)
	e.clock.Advance(time.Second) // 60 s after the first: it left the window
	register(6, "198.51.100.1").expect(t, 201, "")
	register(7, "198.51.100.1").expect(t, 429, httpx.CodeRateLimited)
}

func TestRegisterRateLimitCountsInvalidRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits)
	for range 3 {
		e.do("POST", "/rest/v1/auth/register", `{"bad":1}`).expect(t, 400, "")
	}
	e.do("POST", "/rest/v1/auth/register", registerBody("a@example.com")).expect(t, 429, httpx.CodeRateLimited)
}

func TestLoginRateLimitPerAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits)
	owner, _ := e.seedOrg("Acme")
	for i := range 5 { // five wrong attempts, each from a different IP
		e.do("POST", "/rest/v1/auth/login", map[string]any{"email": owner.Email, "password": "wrong password"},
			fromIP(fmt.Sprintf("203.0.113.%d", i+1))).expect(t, 401, httpx.CodeInvalidCredentials)
	}
	right := map[string]any{"email": owner.Email, "password": testPassword}
	r := e.do("POST", "/rest/v1/auth/login", right, fromIP("203.0.113.99")).expect(t, 429, httpx.CodeRateLimited)
	if got := r.header.Get("Retry-After"); got != "10" {
		t.Fatalf("Retry-After %q", got)
	}
	// The account key is the normalised email.
	e.do("POST", "/rest/v1/auth/login", map[string]any{"email": " " + owner.Email + " ", "password": testPassword},
		fromIP("203.0.113.98")).expect(t, 429, httpx.CodeRateLimited)
	e.clock.Advance(9 * time.Second)
	e.do("POST", "/rest/v1/auth/login", right, fromIP("203.0.113.97")).expect(t, 429, httpx.CodeRateLimited)
	e.clock.Advance(time.Second)
	e.do("POST", "/rest/v1/auth/login", right, fromIP("203.0.113.96")).expect(t, 200, "")
}

func TestLoginRateLimitPerIP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits)
	owner, _ := e.seedOrg("Acme")
	for i := range 5 { // five accounts, one IP
		e.do("POST", "/rest/v1/auth/login", map[string]any{"email": fmt.Sprintf("n%d@example.com", i), "password": "wrong password"},
			fromIP("203.0.113.7")).expect(t, 401, httpx.CodeInvalidCredentials)
	}
	right := map[string]any{"email": owner.Email, "password": testPassword}
	e.do("POST", "/rest/v1/auth/login", right, fromIP("203.0.113.7")).expect(t, 429, httpx.CodeRateLimited)
	e.do("POST", "/rest/v1/auth/login", right, fromIP("203.0.113.8")).expect(t, 200, "")
	e.clock.Advance(10 * time.Second)
	e.do("POST", "/rest/v1/auth/login", right, fromIP("203.0.113.7")).expect(t, 200, "")
}

func TestLoginRateLimitIgnoresSpoofedForwardedFor(t *testing.T) {
	t.Parallel()
	// With no trusted proxy, X-Forwarded-For is the client's own claim.
	e := newEnv(t, withLimits, func(c *Config) { c.ClientIP = nil })
	for i := range 5 {
		e.do("POST", "/rest/v1/auth/login", map[string]any{"email": fmt.Sprintf("n%d@example.com", i), "password": "wrong password"},
			fromIP(fmt.Sprintf("203.0.113.%d", i))).expect(t, 401, "")
	}
	e.do("POST", "/rest/v1/auth/login", map[string]any{"email": "x@example.com", "password": "wrong password"},
		fromIP("203.0.113.200")).expect(t, 429, httpx.CodeRateLimited)
}

func TestRateLimitConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.RegisterLimit = RateLimit{Limit: 1, Window: time.Minute} })
	e.do("POST", "/rest/v1/auth/register", registerBody("a@example.com")).expect(t, 201, "")
	e.do("POST", "/rest/v1/auth/register", registerBody("b@example.com")).expect(t, 429, httpx.CodeRateLimited)
	// LoginLimit stayed Disabled in this env.
	for range 8 {
		e.do("POST", "/rest/v1/auth/login", map[string]any{"email": "a@example.com", "password": "wrong password"}).expect(t, 401, "")
	}
}

// Every address of one IPv6 /64 shares the sign-in and registration
// buckets: hopping addresses inside a subscriber's network does not reset
// them; the next /64 is another client.
func TestAuthRateLimitsKeyIPv6By64(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLimits)
	owner, _ := e.seedOrg("Acme")
	for i := range 5 {
		e.do("POST", "/rest/v1/auth/login", map[string]any{"email": fmt.Sprintf("n%d@example.com", i), "password": "wrong password"},
			fromIP(fmt.Sprintf("2001:db8:1:2::%x", i+1))).expect(t, 401, httpx.CodeInvalidCredentials)
	}
	right := map[string]any{"email": owner.Email, "password": testPassword}
	e.do("POST", "/rest/v1/auth/login", right, fromIP("2001:db8:1:2:ffff::9")).expect(t, 429, httpx.CodeRateLimited)
	e.do("POST", "/rest/v1/auth/login", right, fromIP("2001:db8:1:3::1")).expect(t, 200, "")
	for i := range 3 {
		e.do("POST", "/rest/v1/auth/register", registerBody(fmt.Sprintf("r%d@example.com", i)),
			fromIP(fmt.Sprintf("2001:db8:9:9::%x", i+1))).expect(t, 201, "")
	}
	e.do("POST", "/rest/v1/auth/register", registerBody("r9@example.com"), fromIP("2001:db8:9:9:abcd::1")).
		expect(t, 429, httpx.CodeRateLimited)
}
