package redisbroker

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// proxy forwards TCP connections to a Redis server. Freeze turns the
// connections open at that moment into black holes (bytes are read and
// dropped, nothing is closed), as a network partition would; later
// connections pass.
type proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	pairs []*proxyPair
}

// proxyPair is one proxied connection.
type proxyPair struct {
	client, server net.Conn
	frozen         atomic.Bool
}

// newProxy starts a proxy to the Redis of redisURL ("redis://host:port/0")
// and returns it with the URL to use instead; it stops with the test.
func newProxy(t *testing.T, redisURL string) (*proxy, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := strings.TrimSuffix(strings.TrimPrefix(redisURL, "redis://"), "/0")
	p := &proxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p, "redis://" + ln.Addr().String() + "/0"
}

// accept proxies connections until the listener closes.
func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		pair := &proxyPair{client: c, server: s}
		p.mu.Lock()
		p.pairs = append(p.pairs, pair)
		p.mu.Unlock()
		p.wg.Go(func() { pair.pipe(c, s) })
		p.wg.Go(func() { pair.pipe(s, c) })
	}
}

// pipe copies from src to dst, dropping everything once frozen, and
// closes both ends when src ends.
func (pp *proxyPair) pipe(src, dst net.Conn) {
	defer func() {
		_ = pp.client.Close()
		_ = pp.server.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !pp.frozen.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// freeze black-holes every connection open now.
func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pair := range p.pairs {
		pair.frozen.Store(true)
	}
}

// close stops the proxy and waits for its goroutines.
func (p *proxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, pair := range p.pairs {
		_ = pair.client.Close()
		_ = pair.server.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func TestHealthCheckReplacesASilentConnection(t *testing.T) {
	t.Parallel()
	url := redisServer(t).URL()
	px, proxied := newProxy(t, url)
	a, _ := newBroker(t, url, fastOptions())
	opts := fastOptions()
	opts.HealthCheck = 20 * time.Millisecond
	b, _ := newBroker(t, proxied, opts)
	resubscribed := make(chan struct{}, 8)
	b.OnResubscribe(func() { resubscribed <- struct{}{} })
	in := newInbox()
	subscribe(t, b, "room", in)

	px.freeze() // the connection stays open but nothing comes back
	select {
	case <-resubscribed:
	case <-time.After(guard):
		t.Fatalf("a silent connection was not replaced within %v", guard)
	}
	publish(t, a, "room", "after")
	if got := in.waitFor(t, 1); got[0] != "after" {
		t.Errorf("got %q", got)
	}
}
