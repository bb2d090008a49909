package chaos

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// redisCut is how long F7 silently cuts one node's path to Redis.
const redisCut = 15 * time.Second

// F7: one node's path to Redis is silently cut for 15 s (no reset, no
// refusal: bytes stop moving, as in a network partition). Chat on that node
// keeps being stored and acked, the node reports itself not ready, and once
// the path heals cross-node delivery converges: nothing acked lost,
// duplicated or reordered.
func TestF7RedisPathCut(t *testing.T) {
	slowCase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, spec{nodes: 3, redisProxied: 2})
	ch := c.newChat(ctx, "f7", 2, 0) // visitor on the cut node, agent on n1
	tr := startTraffic(ctx, ch, 20*time.Millisecond)
	if !tr.waitAcked(ctx, 20) {
		t.Fatal("no traffic before the cut")
	}
	c.redisPath.blackhole()
	cut := time.Now()
	var ready int
	waitUntil(ctx, 10*time.Second, func() bool { ready = readyz(c.nodes[2].base); return ready != http.StatusOK })
	ackedBefore := tr.ackedCount()
	time.Sleep(time.Until(cut.Add(redisCut)))
	ackedCut := tr.ackedCount() - ackedBefore
	c.redisPath.restore()
	back := time.Now()
	sent, acked, rec := tr.conclude(ctx, t, ch, back)
	verdict(sent, acked, ch.peers()).report(t, "F7", "redis-path-cut-15s", rec,
		"acked_while_cut="+itoa(ackedCut), "readyz_cut="+itoa(ready), summary("closes", ch.vis.closeCodes()))
	checkErrs(t, tr)
	cancel()
}
