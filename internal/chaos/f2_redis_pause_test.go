package chaos

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	// redisPause is how long F2 pauses Redis (CLIENT PAUSE … ALL).
	redisPause = 5 * time.Second
	// pauseLatencyBound is the slowest acceptable send during the pause:
	// the pause itself plus the reconnect and resend of a stuck socket.
	pauseLatencyBound = redisPause + replyTimeout
	// goroutineSlack is how many more goroutines a node may run after the
	// pause than before it (sockets and timers come and go).
	goroutineSlack = 50
)

// F2: Redis is paused for 5 s (it holds every command). Sends stay within a
// bounded latency, nothing acked is lost, and the nodes' goroutines do not
// pile up: a few seconds after the pause each node runs about as many as
// before it.
func TestF2RedisPause(t *testing.T) {
	slowCase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := newCluster(t, 3)
	ch := c.newChat(ctx, "f2", 0, 1)
	tr := startTraffic(ctx, ch, 20*time.Millisecond)
	if !tr.waitAcked(ctx, 20) {
		t.Fatal("no traffic before the pause")
	}
	before := c.goroutines(t)
	if err := redisCommand(c.redis.URL(), "CLIENT", "PAUSE", fmt.Sprint(redisPause.Milliseconds()), "ALL"); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	var peak []int
	for time.Since(paused) < redisPause {
		peak = maxEach(peak, c.goroutines(t))
		time.Sleep(500 * time.Millisecond)
	}
	tr.waitAcked(ctx, 20)
	sent, acked := tr.finish()
	rec, ok := settle(ctx, paused.Add(redisPause), acked, ch.peers())
	if !ok {
		t.Errorf("peers did not converge within the case's deadline")
	}
	time.Sleep(3 * time.Second) // let timers of the pause fire
	after := c.goroutines(t)
	for i := range after {
		if after[i] > before[i]+goroutineSlack {
			t.Errorf("%s: %d goroutines after the pause, %d before", c.nodes[i].name, after[i], before[i])
		}
	}
	tr.mu.Lock()
	lat := tr.maxLat
	tr.mu.Unlock()
	if lat > pauseLatencyBound {
		t.Errorf("slowest send took %v, bound %v", lat, pauseLatencyBound)
	}
	verdict(sent, acked, ch.peers()).report(t, "F2", "redis-pause-5s", rec,
		"max_send="+secs(lat), "goroutines_before="+joinInts(before), "peak="+joinInts(peak), "after="+joinInts(after))
	checkErrs(t, tr)
	cancel()
}

// goroutines reads every node's goroutine count.
func (c *cluster) goroutines(t *testing.T) []int {
	t.Helper()
	out := make([]int, len(c.nodes))
	for i, n := range c.nodes {
		g, err := n.goroutines()
		if err != nil {
			t.Fatalf("%s: goroutines: %v", n.name, err)
		}
		out[i] = g
	}
	return out
}

// maxEach returns the element-wise maximum of a and b (a may be nil).
func maxEach(a, b []int) []int {
	if a == nil {
		return append([]int(nil), b...)
	}
	for i := range a {
		a[i] = max(a[i], b[i])
	}
	return a
}

// joinInts renders ints as a/b/c.
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = itoa(n)
	}
	return strings.Join(s, "/")
}

// redisCommand sends one command to the Redis at rawURL in RESP and reads
// a simple-string answer.
func redisCommand(rawURL string, args ...string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+") {
		return fmt.Errorf("redis %v: %q", args, strings.TrimSpace(line))
	}
	return nil
}
