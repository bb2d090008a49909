package chaos

import (
	"context"
	"testing"
	"time"
)

// F5: a node is killed with SIGKILL mid-stream. Its clients reconnect to
// the other nodes, resume by seq and resend what had no ack: every acked
// message reaches both peers once and in order.
func TestF5NodeKill(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newCluster(t, 3)
	ch := c.newChat(ctx, "f5", 0, 1) // visitor on n1 (killed), agent on n2
	tr := startTraffic(ctx, ch, 20*time.Millisecond)
	if !tr.waitAcked(ctx, 20) {
		t.Fatal("no traffic before the kill")
	}
	c.nodes[0].kill()
	killed := time.Now()
	sent, acked, rec := tr.conclude(ctx, t, ch, killed)
	verdict(sent, acked, ch.peers()).report(t, "F5", "node-kill-9", rec)
	checkErrs(t, tr)
	cancel()
}

// checkErrs fails on sends that ended without an ack for another reason
// than the case's end.
func checkErrs(t *testing.T, tr *traffic) {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, err := range tr.errs {
		if err != context.Canceled && err != context.DeadlineExceeded {
			t.Errorf("send: %v", err)
		}
	}
}
