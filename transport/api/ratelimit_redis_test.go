package api

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/security/redislimit"
	"github.com/helpr-chat/helpr/transport/httpx"
)

var _ Limiter = (*redislimit.Window)(nil)

// redisClient returns a client of srv, closed at the end of the test.
func redisClient(t testing.TB, srv *testsvc.RedisServer) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.DialerRetries = 1 // an outage test fails fast; command retries stay at the default
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// sharedLimits configures one node's API as a cluster node does: its own
// Redis client, the shared windows under fixed prefixes, the default numbers.
func sharedLimits(t testing.TB, srv *testsvc.RedisServer) func(*Config) {
	return func(c *Config) {
		rdb := redisClient(t, srv)
		c.RegisterLimiter = redislimit.New(rdb, "helpr:rl:register", DefaultRegisterLimit, DefaultRegisterWindow, c.Now)
		c.LoginIPLimiter = redislimit.New(rdb, "helpr:rl:login_ip", DefaultLoginLimit, DefaultLoginWindow, c.Now)
		c.LoginAccountLimiter = redislimit.New(rdb, "helpr:rl:login_account", DefaultLoginLimit, DefaultLoginWindow, c.Now)
	}
}

// secondNode starts another API over e's store, sessions and clock,
// configured by node, and returns an env whose requests go to it.
func (e *env) secondNode(t testing.TB, node func(*Config)) *env {
	t.Helper()
	cfg := e.api.cfg
	node(&cfg)
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("second node: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	twin := *e
	twin.api, twin.srv = a, srv
	return &twin
}

// Redis down: sign-in and registration answer 503 unavailable (fail
// closed), log and count it without the email or address, and
// authenticated requests keep working; Redis back: both work again.
func TestSharedLimitsFailClosedWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	e := newEnv(t, sharedLimits(t, srv))
	owner, token := e.seedOrg("Acme")
	login := map[string]any{"email": owner.Email, "password": testPassword}
	const ip = "198.51.100.23"
	e.do("POST", "/rest/v1/auth/login", login, fromIP(ip)).expect(t, 200, "")

	srv.Stop()
	e.do("POST", "/rest/v1/auth/login", login, fromIP(ip)).expect(t, 503, codeUnavailable)
	e.do("POST", "/rest/v1/auth/register", registerBody("new@example.com"), fromIP(ip)).expect(t, 503, codeUnavailable)
	e.do("GET", "/rest/v1/me", nil, bearer(token)).expect(t, 200, "") // sessions do not need Redis
	if n := e.metrics.Rejections.With(reasonLimiterUnavailable).Value(); n != 2 {
		t.Fatalf("helpr_rejections_total{reason=%q} = %d, want 2", reasonLimiterUnavailable, n)
	}
	logs := e.logs.String()
	if strings.Count(logs, "rate limiter unavailable") != 2 {
		t.Fatalf("want one error line per refusal, logs:\n%s", logs)
	}
	for _, pii := range []string{owner.Email, "new@example.com", ip} {
		if strings.Contains(logs, pii) {
			t.Fatalf("logs hold %q:\n%s", pii, logs)
		}
	}

	srv.Start()
	e.do("POST", "/rest/v1/auth/login", login, fromIP(ip)).expect(t, 200, "")
	e.do("POST", "/rest/v1/auth/register", registerBody("new@example.com"), fromIP(ip)).expect(t, 201, "")
}

// Two API nodes sharing the Redis windows: the 6th attempt on one account
// (or from one address) is refused whichever node gets it.
func TestSharedLoginLimitTripsAtTheSixthAttemptAcrossNodes(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	n1 := newEnv(t, sharedLimits(t, srv))
	n2 := n1.secondNode(t, sharedLimits(t, srv))
	nodes := []*env{n1, n2}
	owner, _ := n1.seedOrg("Acme")
	wrong := map[string]any{"email": owner.Email, "password": "wrong password"}
	right := map[string]any{"email": owner.Email, "password": testPassword}

	t.Run("per account", func(t *testing.T) {
		for i := range 5 { // alternating nodes, each from its own address
			nodes[i%2].with(t).do("POST", "/rest/v1/auth/login", wrong, fromIP(fmt.Sprintf("203.0.113.%d", i+1))).
				expect(t, 401, httpx.CodeInvalidCredentials)
		}
		r := n2.with(t).do("POST", "/rest/v1/auth/login", right, fromIP("203.0.113.99")).expect(t, 429, httpx.CodeRateLimited)
		if got := r.header.Get("Retry-After"); got != "10" {
			t.Fatalf("Retry-After %q, want 10", got)
		}
		n1.with(t).do("POST", "/rest/v1/auth/login", right, fromIP("203.0.113.98")).expect(t, 429, httpx.CodeRateLimited)
		n1.clock.Advance(10 * time.Second)
		n1.with(t).do("POST", "/rest/v1/auth/login", right, fromIP("203.0.113.97")).expect(t, 200, "")
	})
	t.Run("per address", func(t *testing.T) {
		for i := range 5 { // five accounts, one address, alternating nodes
			nodes[i%2].with(t).do("POST", "/rest/v1/auth/login",
				map[string]any{"email": fmt.Sprintf("n%d@example.com", i), "password": "wrong password"},
				fromIP("192.0.2.7")).expect(t, 401, httpx.CodeInvalidCredentials)
		}
		n2.with(t).do("POST", "/rest/v1/auth/login", right, fromIP("192.0.2.7")).expect(t, 429, httpx.CodeRateLimited)
		n1.with(t).do("POST", "/rest/v1/auth/login", right, fromIP("192.0.2.8")).expect(t, 200, "")
	})
	t.Run("registration", func(t *testing.T) {
		for i := range 3 {
			nodes[i%2].with(t).do("POST", "/rest/v1/auth/register", registerBody(fmt.Sprintf("r%d@example.com", i)),
				fromIP("192.0.2.50")).expect(t, 201, "")
		}
		n2.with(t).do("POST", "/rest/v1/auth/register", registerBody("r3@example.com"), fromIP("192.0.2.50")).
			expect(t, 429, httpx.CodeRateLimited)
	})
}
