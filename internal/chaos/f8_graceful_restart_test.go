package chaos

import (
	"context"
	"testing"
	"time"
)

// F8: a node is restarted gracefully (SIGTERM, then started again) while
// its clients send. They are closed with 1001, reconnect (elsewhere while it
// is down) and resend what had no ack: nothing acked is lost, duplicated or
// reordered.
func TestF8GracefulRestart(t *testing.T) {
	slowCase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := newCluster(t, 3)
	ch := c.newChat(ctx, "f8", 0, 0) // both on the restarted node
	tr := startTraffic(ctx, ch, 20*time.Millisecond)
	if !tr.waitAcked(ctx, 20) {
		t.Fatal("no traffic before the restart")
	}
	c.nodes[0].stop()
	c.nodes[0].start()
	back := time.Now()
	sent, acked, rec := tr.conclude(ctx, t, ch, back)
	closes := ch.vis.closeCodes()
	if closes[1001] == 0 {
		t.Errorf("the visitor saw close codes %v, want 1001 (going away)", closes)
	}
	verdict(sent, acked, ch.peers()).report(t, "F8", "graceful-restart", rec, summary("closes", closes))
	checkErrs(t, tr)
	cancel()
}
