package ws

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestSendQueueWakesOneWriterOnlyWhenNeeded(t *testing.T) {
	q := newSendQueue(1 << 10)
	wakes := 0
	q.wake = func() { wakes++ }
	q.push([]byte("a"))
	if wakes != 0 {
		t.Fatal("a held queue woke a writer")
	}
	q.release()
	if wakes != 1 {
		t.Fatalf("release with a frame queued: %d wakes, want 1", wakes)
	}
	q.push([]byte("b"))
	if wakes != 1 {
		t.Fatal("a push woke a second writer while one runs")
	}
	if q.park() {
		t.Fatal("the writer parked with frames queued")
	}
	if got := q.drain(nil, 64, 1<<10); len(got) != 2 || !q.park() {
		t.Fatalf("drained %q, then could not park", got)
	}
	q.push([]byte("c"))
	if wakes != 2 {
		t.Fatalf("a push to an idle queue: %d wakes, want 2", wakes)
	}
	q.drain(nil, 64, 1<<10)
	q.park()
	q.close()
	if wakes != 3 || q.park() {
		t.Fatalf("close of an idle queue: %d wakes, parked %v; want 3, a writer that finishes", wakes, !q.park())
	}
}

// A client that stops answering pings is dropped by the shared sweeper.
func TestSweeperDropsPeerThatStopsAnsweringPings(t *testing.T) {
	tg := helprTargetWith(t, 1, func(c *Config) {
		c.PingInterval = 20 * time.Millisecond
		c.PongTimeout = 100 * time.Millisecond
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a deadlock guard
	defer cancel()
	h := http.Header{"Authorization": {"Bearer " + tg.tokens[0]}}
	c, _, err := websocket.Dial(ctx, tg.url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, _, err := c.Read(ctx); err != nil { // ready; then never read again, so pings go unanswered
		t.Fatal(err)
	}
	for tg.conns() != 0 {
		if ctx.Err() != nil {
			t.Fatal("a peer that ignores pings is still connected")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSweeperStopsWithTheLastConnection(t *testing.T) {
	s := newSweeper(time.Hour, time.Hour)
	a, b := &conn{done: make(chan struct{})}, &conn{done: make(chan struct{})}
	s.add(a)
	s.add(b)
	if s.stop == nil || a.sweep.shard == b.sweep.shard {
		t.Fatalf("sweeper not running (%v) or shards not spread (%d, %d)", s.stop != nil, a.sweep.shard, b.sweep.shard)
	}
	stop := s.stop
	s.remove(a)
	s.remove(a) // twice is harmless
	if s.stop == nil {
		t.Fatal("sweeper stopped with a connection left")
	}
	s.remove(b)
	select {
	case <-stop:
	default:
		t.Fatal("sweeper still running after the last connection left")
	}
}
