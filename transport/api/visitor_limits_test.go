package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/transport/httpx"
)

const sessionsPath = "/rest/v1/visitor/sessions"

// visitorLimits sets the two visitor-session limits (zero: the defaults).
func visitorLimits(ip, widget RateLimit) func(*Config) {
	return func(c *Config) { c.VisitorSessionIPLimit, c.VisitorSessionWidgetLimit = ip, widget }
}

func keyBody(key string) map[string]any { return map[string]any{"publishable_key": key} }

// expectRetryAfter fails unless r is a 429 rate_limited with Retry-After want.
func expectRetryAfter(t testing.TB, r resp, want string) {
	t.Helper()
	r.expect(t, 429, httpx.CodeRateLimited)
	if got := r.header.Get("Retry-After"); got != want {
		t.Fatalf("Retry-After %q, want %q", got, want)
	}
}

// The default per-IP limit is exactly 20 per minute, sliding with second
// precision; server-side clients (no Origin) and browsers share it, and
// resumes count like new visitors.
func TestVisitorSessionIPLimitDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, visitorLimits(RateLimit{}, RateLimit{}))
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID, "https://shop.example.com")
	const ip = "198.51.100.7"
	var vs visitorSession
	for i := range 20 { // one a second: t0 … t0+19s
		opts := []reqOpt{fromIP(ip)}
		switch i % 3 {
		case 1:
			opts = append(opts, origin("https://shop.example.com"))
		case 2:
			opts = append(opts, bearer(vs.Token)) // a resume counts too
		}
		e.do("POST", sessionsPath, keyBody(w.PublishableKey), opts...).expect(t, 201, "").json(t, &vs)
		if i < 19 {
			e.clock.Advance(time.Second)
		}
	}
	// The 21st, without Origin, at t0+19s: second t0 leaves the window at t0+60s.
	expectRetryAfter(t, e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP(ip)), "41")
	expectRetryAfter(t, e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP(ip),
		origin("https://shop.example.com")), "41")
	e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP("198.51.100.8")).expect(t, 201, "")
	e.clock.Advance(40 * time.Second) // t0+59s
	expectRetryAfter(t, e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP(ip)), "1")
	e.clock.Advance(time.Second) // t0+60s: second t0 left
	e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP(ip)).expect(t, 201, "")
	expectRetryAfter(t, e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP(ip)), "1")

	if n := e.metrics.RateLimited.With(limitVisitorIP).Value(); n != 4 {
		t.Fatalf("helpr_rate_limited_total{limit=%q} = %d, want 4", limitVisitorIP, n)
	}
	if n := e.metrics.AuthFailures.With(reasonRateLimited).Value(); n != 0 {
		t.Fatalf("visitor-session refusals counted as auth failures: %d", n)
	}
}

// Unknown keys are charged to the IP (and answered 404) but not to any
// widget; malformed requests are not charged at all.
func TestVisitorSessionIPLimitCountsUnknownKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, visitorLimits(RateLimit{Limit: 3, Window: time.Minute}, RateLimit{Limit: 1, Window: time.Hour}))
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	for range 5 {
		e.do("POST", sessionsPath, keyBody("sk_live"), fromIP("203.0.113.1")).expect(t, 400, httpx.CodeValidationFailed)
		e.do("POST", sessionsPath, `{"publishable_key":`, fromIP("203.0.113.1")).expect(t, 400, "")
	}
	e.do("POST", sessionsPath, keyBody("pk_unknown1"), fromIP("203.0.113.1")).expect(t, 404, httpx.CodeNotFound)
	e.do("POST", sessionsPath, keyBody("pk_unknown2"), fromIP("203.0.113.1")).expect(t, 404, httpx.CodeNotFound)
	e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP("203.0.113.1")).expect(t, 201, "")
	expectRetryAfter(t, e.do("POST", sessionsPath, keyBody("pk_unknown3"), fromIP("203.0.113.1")), "60")
	// The widget's single session was the one above, not the unknown keys.
	expectRetryAfter(t, e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP("203.0.113.2")), "3600")
}

// The per-widget limit holds across client IPs (here through a trusted
// proxy) and widgets are counted apart; refused origins are not charged to
// the widget, and a refusal an allowed browser can read carries CORS.
func TestVisitorSessionWidgetLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, visitorLimits(RateLimit{}, RateLimit{Limit: 5, Window: time.Hour}))
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID, "https://shop.example.com")
	other := e.seedWidget(owner.OrgID)
	for i := range 5 {
		e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP(fmt.Sprintf("192.0.2.%d", i+1))).expect(t, 201, "")
		e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP(fmt.Sprintf("192.0.2.%d", i+1)),
			origin("https://evil.example")).expect(t, 403, httpx.CodeForbidden)
		e.clock.Advance(time.Minute)
	}
	r := e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP("192.0.2.99"), origin("https://shop.example.com"))
	expectRetryAfter(t, r, "3300") // now is t0+5m; the first leaves at t0+60m
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "https://shop.example.com" {
		t.Fatalf("429 without CORS for the allowed origin: %q", got)
	}
	e.do("POST", sessionsPath, keyBody(other.PublishableKey), fromIP("192.0.2.99")).expect(t, 201, "")
	if n := e.metrics.RateLimited.With(limitVisitorWidget).Value(); n != 1 {
		t.Fatalf("helpr_rate_limited_total{limit=%q} = %d, want 1", limitVisitorWidget, n)
	}
}

// The defaults New wires: 1,000 per hour per widget (driven directly: a
// thousand HTTP round trips would only make the test slow).
func TestVisitorSessionWidgetLimitDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, visitorLimits(RateLimit{}, RateLimit{}))
	ctx := context.Background()
	for i := range DefaultVisitorSessionWidgetLimit {
		if ok, _, err := e.api.visitorWG.l.Allow(ctx, "wdg_1"); !ok || err != nil {
			t.Fatalf("event %d refused: %v", i+1, err)
		}
	}
	if ok, retry, _ := e.api.visitorWG.l.Allow(ctx, "wdg_1"); ok || retry != time.Hour {
		t.Fatalf("event 1001: ok %v, retry %v; want refused for 1h", ok, retry)
	}
	if ok, _, _ := e.api.visitorWG.l.Allow(ctx, "wdg_2"); !ok {
		t.Fatal("another widget refused")
	}
}

// Two IPv6 addresses of one /64 share a window; another /64 has its own.
func TestVisitorSessionIPv6GroupedBy64(t *testing.T) {
	t.Parallel()
	e := newEnv(t, visitorLimits(RateLimit{Limit: 2, Window: time.Minute}, RateLimit{}))
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	body := keyBody(w.PublishableKey)
	e.do("POST", sessionsPath, body, fromIP("2001:db8:1:2::1")).expect(t, 201, "")
	e.do("POST", sessionsPath, body, fromIP("2001:db8:1:2:ffff:ffff:ffff:fffe")).expect(t, 201, "")
	e.do("POST", sessionsPath, body, fromIP("2001:db8:1:2:abcd::42")).expect(t, 429, httpx.CodeRateLimited)
	e.do("POST", sessionsPath, body, fromIP("2001:db8:1:3::1")).expect(t, 201, "")
	e.do("POST", sessionsPath, body, fromIP("2001:db8:1:3::2")).expect(t, 201, "")
	e.do("POST", sessionsPath, body, fromIP("2001:db8:1:3::3")).expect(t, 429, httpx.CodeRateLimited)
	// IPv4 is keyed by the whole address.
	e.do("POST", sessionsPath, body, fromIP("192.0.2.1")).expect(t, 201, "")
	e.do("POST", sessionsPath, body, fromIP("192.0.2.1")).expect(t, 201, "")
	e.do("POST", sessionsPath, body, fromIP("192.0.2.2")).expect(t, 201, "")
}

// "off" (Disabled) turns each limit off, even with a shared limiter given.
func TestVisitorSessionLimitsOff(t *testing.T) {
	t.Parallel()
	refuseAll := failingLimiter{}
	e := newEnv(t, visitorLimits(RateLimit{Disabled: true}, RateLimit{Disabled: true}), func(c *Config) {
		c.VisitorSessionIPLimiter, c.VisitorSessionWidgetLimiter = refuseAll, refuseAll
	})
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	for range DefaultVisitorSessionIPLimit + 5 {
		e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP("198.51.100.1")).expect(t, 201, "")
	}
}

// failingLimiter is a shared store that cannot be reached.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 0, errUnreachable
}

var errUnreachable = fmt.Errorf("redislimit helpr:rl:test: dial tcp: connection refused")

// A shared limiter that fails falls back to this node's window with the
// same numbers, and says so once a minute at most, without the address.
func TestVisitorSessionLimitFallsBackToThisNode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, visitorLimits(RateLimit{Limit: 3, Window: time.Minute}, RateLimit{}), func(c *Config) {
		c.VisitorSessionIPLimiter = failingLimiter{}
	})
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	const ip = "198.51.100.77"
	for range 3 {
		e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP(ip)).expect(t, 201, "")
	}
	expectRetryAfter(t, e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP(ip)), "60")
	if got := strings.Count(e.logs.String(), "shared rate limit unavailable"); got != 1 {
		t.Fatalf("%d fallback warnings in a minute, want 1:\n%s", got, e.logs.String())
	}
	e.clock.Advance(time.Minute)
	e.do("POST", sessionsPath, keyBody(w.PublishableKey), fromIP(ip)).expect(t, 201, "")
	logs := e.logs.String()
	if got := strings.Count(logs, "shared rate limit unavailable"); got != 2 {
		t.Fatalf("%d fallback warnings after a minute, want 2:\n%s", got, logs)
	}
	if !strings.Contains(logs, `"level":"warn"`) || strings.Contains(logs, ip) {
		t.Fatalf("want warnings without the address:\n%s", logs)
	}
}
