package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/security/redislimit"
)

// sharedVisitorLimits configures one node's visitor-session limits as a
// cluster node does: its own Redis client, one prefix per limit, and the
// same numbers for the shared and the fallback windows.
func sharedVisitorLimits(rdb *redis.Client, ip, widget RateLimit) func(*Config) {
	return func(c *Config) {
		c.VisitorSessionIPLimit, c.VisitorSessionWidgetLimit = ip, widget
		c.VisitorSessionIPLimiter = redislimit.New(rdb, "helpr:rl:"+limitVisitorIP, ip.Limit, ip.Window, c.Now)
		c.VisitorSessionWidgetLimiter = redislimit.New(rdb, "helpr:rl:"+limitVisitorWidget, widget.Limit, widget.Window, c.Now)
	}
}

// Two API nodes share the visitor-session windows through Redis: the
// request over either limit is refused on the node that did not see the
// others.
func TestSharedVisitorSessionLimitsAcrossNodes(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	ipLimit := RateLimit{Limit: DefaultVisitorSessionIPLimit, Window: DefaultVisitorSessionIPWindow}
	widgetLimit := RateLimit{Limit: 6, Window: time.Hour}
	rdb1, rdb2 := redisClient(t, srv), redisClient(t, srv)
	n1 := newEnv(t, sharedVisitorLimits(rdb1, ipLimit, widgetLimit))
	n2 := n1.secondNode(t, sharedVisitorLimits(rdb2, ipLimit, widgetLimit))
	owner, _ := n1.seedOrg("Acme")
	busy := n1.seedWidget(owner.OrgID) // 5 sessions in the per-IP phase, under its limit
	quiet := n1.seedWidget(owner.OrgID)

	t.Run("per IP", func(t *testing.T) {
		const ip = "198.51.100.40"
		for i := range DefaultVisitorSessionIPLimit { // 10 on each node, all at one instant
			key, want := "pk_unknown", 404 // unknown keys count against the IP too
			if i%4 == 0 {
				key, want = busy.PublishableKey, 201
			}
			[]*env{n1, n2}[i/10].with(t).do("POST", sessionsPath, keyBody(key), fromIP(ip)).expect(t, want, "")
		}
		expectRetryAfter(t, n1.with(t).do("POST", sessionsPath, keyBody(quiet.PublishableKey), fromIP(ip)), "60")
		expectRetryAfter(t, n2.with(t).do("POST", sessionsPath, keyBody(quiet.PublishableKey), fromIP(ip)), "60")
		n2.with(t).do("POST", sessionsPath, keyBody(quiet.PublishableKey), fromIP("198.51.100.41")).expect(t, 201, "")
	})
	t.Run("per widget", func(t *testing.T) {
		// quiet has one session (above); five more from five addresses, alternating nodes.
		for i := range 5 {
			[]*env{n1, n2}[i%2].with(t).do("POST", sessionsPath, keyBody(quiet.PublishableKey),
				fromIP(fmt.Sprintf("203.0.113.%d", i+1))).expect(t, 201, "")
		}
		expectRetryAfter(t, n2.with(t).do("POST", sessionsPath, keyBody(quiet.PublishableKey), fromIP("203.0.113.50")), "3600")
		expectRetryAfter(t, n1.with(t).do("POST", sessionsPath, keyBody(quiet.PublishableKey), fromIP("203.0.113.51")), "3600")
	})
}

// Redis down: the visitor-session limits fall back to each node's own
// window (chat keeps working, still limited), warn without the address,
// and return to the shared window when Redis is back.
func TestSharedVisitorSessionLimitsFallBackWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	srv := testsvc.NewRedis(t)
	ipLimit := RateLimit{Limit: 3, Window: time.Minute}
	widgetLimit := RateLimit{Limit: DefaultVisitorSessionWidgetLimit, Window: DefaultVisitorSessionWidgetWindow}
	rdb1, rdb2 := redisClient(t, srv), redisClient(t, srv)
	n1 := newEnv(t, sharedVisitorLimits(rdb1, ipLimit, widgetLimit))
	n2 := n1.secondNode(t, sharedVisitorLimits(rdb2, ipLimit, widgetLimit))
	owner, _ := n1.seedOrg("Acme")
	w := n1.seedWidget(owner.OrgID)
	body := keyBody(w.PublishableKey)
	const ip = "198.51.100.23"
	n1.do("POST", sessionsPath, body, fromIP(ip)).expect(t, 201, "")
	n2.do("POST", sessionsPath, body, fromIP(ip)).expect(t, 201, "")

	srv.Stop()
	for range 3 { // node 1 alone: a fresh local window of 3
		n1.do("POST", sessionsPath, body, fromIP(ip)).expect(t, 201, "")
	}
	expectRetryAfter(t, n1.do("POST", sessionsPath, body, fromIP(ip)), "60")
	logs := n1.logs.String()
	if strings.Count(logs, "shared rate limit unavailable") != 2 || strings.Contains(logs, ip) || // one per limit
		strings.Contains(logs, "rate limiter unavailable: request refused") {
		t.Fatalf("want one fallback warning per limit, without the address and no refusal:\n%s", logs)
	}
	if n := n1.metrics.Rejections.With(reasonLimiterUnavailable).Value(); n != 0 {
		t.Fatalf("%d requests refused as unavailable; these limits fail open", n)
	}

	srv.Start() // an empty Redis: node 1's full local window no longer decides
	waitRedis(t, rdb1, rdb2)
	n1.do("POST", sessionsPath, body, fromIP(ip)).expect(t, 201, "")
	n2.do("POST", sessionsPath, body, fromIP(ip)).expect(t, 201, "")
	n1.do("POST", sessionsPath, body, fromIP(ip)).expect(t, 201, "")
	expectRetryAfter(t, n2.do("POST", sessionsPath, body, fromIP(ip)), "60")
}

// waitRedis waits until every client's pool dials again: after many failed
// dials go-redis retries in the background, about once a second.
func waitRedis(t *testing.T, clients ...*redis.Client) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second) // a deadlock guard
	for _, c := range clients {
		for c.Ping(context.Background()).Err() != nil {
			if time.Now().After(deadline) {
				t.Fatal("redis clients did not reconnect")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
