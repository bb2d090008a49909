package chaos

import (
	"context"
	"testing"
	"time"
)

// killGap is the time between F5b's two kills.
const killGap = 10 * time.Second

// F5b: two of three nodes are killed with SIGKILL 10 s apart — the
// visitor's node, then the agent's. Both clients end on the survivor and
// lose nothing acked.
func TestF5TwoNodesKilled(t *testing.T) {
	slowCase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := newCluster(t, 3)
	ch := c.newChat(ctx, "f5b", 0, 1)
	tr := startTraffic(ctx, ch, 20*time.Millisecond)
	if !tr.waitAcked(ctx, 20) {
		t.Fatal("no traffic before the kills")
	}
	c.nodes[0].kill()
	time.Sleep(killGap)
	c.nodes[1].kill()
	killed := time.Now()
	sent, acked, rec := tr.conclude(ctx, t, ch, killed)
	verdict(sent, acked, ch.peers()).report(t, "F5b", "two-nodes-kill-9-10s-apart", rec)
	checkErrs(t, tr)
	cancel()
}
