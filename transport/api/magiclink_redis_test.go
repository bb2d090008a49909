package api

import (
	"testing"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/security/redislimit"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// sharedLinkLimits gives one node the cluster windows of the mail flows,
// as helpr serve does with --redis-url.
func sharedLinkLimits(t testing.TB, srv *testsvc.RedisServer) func(*Config) {
	return func(c *Config) {
		rdb := redisClient(t, srv)
		c.MagicLinkAddressLimiter = redislimit.New(rdb, "helpr:rl:magic_link_address",
			DefaultMailLinkAddressLimit, DefaultMailLinkAddressWindow, c.Now)
		c.MagicLinkIPLimiter = redislimit.New(rdb, "helpr:rl:magic_link_ip", DefaultMailLinkIPLimit, DefaultMailLinkIPWindow, c.Now)
	}
}

// The per-address magic-link limit is one count across nodes, and a
// shared limiter that cannot be reached refuses (fail closed).
func TestMagicLinkLimitSharedAcrossNodes(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	m := &captureMailer{}
	e := newEnv(t, func(c *Config) { c.Mailer = m }, sharedLinkLimits(t, srv))
	e2 := e.secondNode(t, sharedLinkLimits(t, srv))
	owner, _ := e.seedOrg("Acme")
	body := map[string]any{"email": owner.Email}
	e.do("POST", "/rest/v1/auth/magic-link", body, fromIP("198.51.100.1")).expect(t, 202, "")
	e2.do("POST", "/rest/v1/auth/magic-link", body, fromIP("198.51.100.2")).expect(t, 202, "")
	e.do("POST", "/rest/v1/auth/magic-link", body, fromIP("198.51.100.3")).expect(t, 202, "")
	e2.do("POST", "/rest/v1/auth/magic-link", body, fromIP("198.51.100.4")).expect(t, 429, httpx.CodeRateLimited)
	e.settle()
	e2.settle()
	srv.Stop()
	e.do("POST", "/rest/v1/auth/magic-link", map[string]any{"email": "other@example.com"}).expect(t, 503, codeUnavailable)
}
