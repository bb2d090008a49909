package chaos

import (
	"context"
	"testing"
	"time"
)

// storeDownFast is how long F3 keeps the store away: long enough for sends
// to fail, short enough for `make test`.
const storeDownFast = 8 * time.Second

// F3: the store (the MongoDB-wire server) is killed while both sides send.
// Nothing is acked that was not stored (the store's own history, read by a
// fresh client afterwards, holds every acked message), and a message resent
// with the same client id after the store returns is stored exactly once.
func TestF3StoreDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newCluster(t, 3)
	ch := c.newChat(ctx, "f3", 0, 1)
	tr := startTraffic(ctx, ch, 20*time.Millisecond)
	if !tr.waitAcked(ctx, 20) {
		t.Fatal("no traffic before the outage")
	}
	c.store.cut()
	time.Sleep(storeDownFast)
	c.store.restore()
	back := time.Now()
	sent, acked, rec := tr.conclude(ctx, t, ch, back)
	store := c.auditor(ctx, ch, 2)
	peers := ch.peers()
	peers["store"] = store.led
	if _, ok := settle(ctx, back, acked, peers); !ok {
		t.Errorf("the store's history lacks acked messages")
	}
	tr.mu.Lock()
	codes := summary("errors", tr.codes)
	tr.mu.Unlock()
	closes := summary("closes", ch.vis.closeCodes())
	verdict(sent, acked, peers).report(t, "F3", "store-down-8s", rec, codes, closes)
	checkErrs(t, tr)
	cancel()
}
