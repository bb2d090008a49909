package chaos

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// redisDown is how long F1 keeps Redis away.
const redisDown = 10 * time.Second

// F1: Redis is stopped for 10 s mid-traffic and started again (empty). Chat
// goes on on each node (messages are stored and acked), logins fail closed
// (503, never an unthrottled 200), /readyz reports the node degraded and
// recovers, and cross-node delivery resumes: every acked message reaches
// both peers once and in order.
func TestF1RedisDown(t *testing.T) {
	slowCase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := newCluster(t, 3)
	ch := c.newChat(ctx, "f1", 0, 1)
	tr := startTraffic(ctx, ch, 20*time.Millisecond)
	if !tr.waitAcked(ctx, 20) {
		t.Fatal("no traffic before the outage")
	}
	c.redis.Stop()
	down := time.Now()
	tr.waitAcked(ctx, 10) // chat goes on while Redis is away
	ackedDown := tr.ackedCount()
	var ready, loginCode int
	waitUntil(ctx, 5*time.Second, func() bool { ready = readyz(c.nodes[2].base); return ready != http.StatusOK })
	if ready == http.StatusOK {
		t.Errorf("/readyz answered 200 with Redis away")
	}
	loginCode, err := call(c.nodes[2].base, "POST", "/rest/v1/auth/login", "", map[string]any{"email": c.tn.email, "password": ownerPassword}, nil)
	if err != nil || loginCode != http.StatusServiceUnavailable {
		t.Errorf("login with Redis away: %d %v, want 503 (fail closed)", loginCode, err)
	}
	time.Sleep(time.Until(down.Add(redisDown)))
	ackedDown = tr.ackedCount() - ackedDown
	c.redis.Start()
	back := time.Now()
	var readyBack time.Duration
	if waitUntil(ctx, time.Minute, func() bool { return readyz(c.nodes[2].base) == http.StatusOK }) {
		readyBack = time.Since(back)
	} else {
		t.Errorf("/readyz did not recover within a minute of Redis' return")
	}
	sent, acked, rec := tr.conclude(ctx, t, ch, back)
	verdict(sent, acked, ch.peers()).report(t, "F1", "redis-down-10s", rec,
		"acked_while_down="+itoa(ackedDown), "readyz_down="+itoa(ready), "login_down="+itoa(loginCode),
		"readyz_back="+secs(readyBack))
	checkErrs(t, tr)
	cancel()
}
