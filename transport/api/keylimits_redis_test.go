package api

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/security/redislimit"
	"github.com/helpr-chat/helpr/transport/httpx"
)

var _ QuotaLimiter = (*redislimit.Quota)(nil)

// sharedKeyLimits configures one node's API-key limits as a cluster node
// does: its own Redis client, the two quota windows under fixed prefixes.
func sharedKeyLimits(t testing.TB, srv *testsvc.RedisServer) func(*Config) {
	return func(c *Config) {
		rdb := redisClient(t, srv)
		c.APIKeyLimiter = redislimit.NewQuota(rdb, "helpr:rl:apikey", APIQuotaWindow, c.Now)
		c.APIUserLimiter = redislimit.NewQuota(rdb, "helpr:rl:apiuser", APIQuotaWindow, c.Now)
	}
}

// Two nodes share a key's rpm and its owner's limit exactly: the headers
// count down across them, and the request over the limit is refused on
// whichever node it reaches.
func TestChargeAPIKeySharedAcrossNodes(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	e := newEnv(t, sharedKeyLimits(t, srv), func(c *Config) { c.APIUserRPM = 15 })
	twin := e.secondNode(t, sharedKeyLimits(t, srv))
	nodes := []*env{e, twin}
	reset := e.clock.Now().Add(time.Minute).Unix()
	k := keyCall{"key_shared", "agt_owner", 10}
	for i := range 10 {
		want := quotaAnswer{status: 200, limit: 10, remaining: 9 - i, reset: reset}
		if got := k.do(t, keyHandler(nodes[i%2].api), "/ok"); got != want {
			t.Fatalf("request %d: %+v, want %+v", i+1, got, want)
		}
	}
	for _, n := range nodes {
		want := quotaAnswer{status: 429, limit: 10, reset: reset, retryAfter: "60", code: httpx.CodeRateLimited}
		if got := k.do(t, keyHandler(n.api), "/ok"); got != want {
			t.Fatalf("over the rpm: %+v, want %+v", got, want)
		}
	}
	// The owner spent 10 of 15 (refusals by the key's window not charged):
	// another key of theirs, on the second node, sees 4 left.
	other := keyCall{"key_other", "agt_owner", 600}
	if got := other.do(t, keyHandler(twin.api), "/ok"); got.status != 200 || got.limit != 15 || got.remaining != 4 {
		t.Fatalf("the owner's other key: %+v, want 200 with 4 of 15 left", got)
	}
}

// Redis down: API-key requests answer 503 unavailable (fail closed), logged
// and counted without the key; Redis back: they pass again.
func TestChargeAPIKeyFailsClosedWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	e := newEnv(t, sharedKeyLimits(t, srv))
	h := keyHandler(e.api)
	k := keyCall{"key_secretish", "agt_owner", 600}
	if got := k.do(t, h, "/ok"); got.status != 200 || got.remaining != 599 {
		t.Fatalf("before the outage: %+v", got)
	}
	srv.Stop()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, k.request("/ok"))
	if rec.Code != 503 || errorCode(t, rec.Body.String()) != codeUnavailable {
		t.Fatalf("Redis down: %d %s, want 503 unavailable", rec.Code, rec.Body)
	}
	if rec.Header().Get(headerRateRemaining) != "" {
		t.Fatalf("a 503 carries %s %q: nothing was decided", headerRateRemaining, rec.Header().Get(headerRateRemaining))
	}
	if n := e.metrics.Rejections.With(reasonLimiterUnavailable).Value(); n != 1 {
		t.Fatalf("helpr_rejections_total{reason=%q} = %d, want 1", reasonLimiterUnavailable, n)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "rate limiter unavailable") || strings.Contains(logs, "secretish") {
		t.Fatalf("logs %s: want the failure, never the key", logs)
	}
	srv.Start()
	if got := k.do(t, h, "/ok"); got.status != 200 || got.remaining != 599 { // counts did not survive the restart
		t.Fatalf("after restart: %+v", got)
	}
}
