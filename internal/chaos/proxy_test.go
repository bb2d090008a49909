package chaos

import (
	"net"
	"sync"
	"testing"
	"time"
)

// proxy is a loopback TCP proxy in front of a server. cut drops every
// connection and refuses new ones — to the nodes behind it the server is
// gone, as when it is killed — and restore lets connections through again.
// blackhole silently stops moving bytes both ways, connections left open,
// as a network partition does (TCP delivers what was held once it heals).
// The suite puts the shared MongoDB-wire server behind one, so a case can
// "kill the store" without stopping the server other tests use.
type proxy struct {
	target string
	ln     net.Listener

	mu    sync.Mutex
	down  bool
	held  bool // blackholed: bytes wait until restore
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// newProxy listens on a free loopback port and forwards to target until the
// test ends.
func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

// addr is where clients connect.
func (p *proxy) addr() string { return p.ln.Addr().String() }

// accept forwards each accepted connection while the proxy is up.
func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.forward(c)
	}
}

// forward copies both ways between c and a new connection to the target.
func (p *proxy) forward(c net.Conn) {
	defer p.wg.Done()
	defer p.drop(c)
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		_ = s.Close()
		return
	}
	p.conns[s] = struct{}{}
	p.mu.Unlock()
	defer p.drop(s)
	done := make(chan struct{})
	go func() { p.copy(s, c); _ = s.Close(); close(done) }()
	p.copy(c, s)
	_ = c.Close()
	<-done
}

// copy moves bytes from src to dst until either ends, holding each chunk
// while the proxy is blackholed.
func (p *proxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for p.holding() {
			time.Sleep(10 * time.Millisecond)
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// holding reports whether the proxy is blackholed (and not cut).
func (p *proxy) holding() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held && !p.down
}

// blackhole stops moving bytes, silently, until restore.
func (p *proxy) blackhole() {
	p.mu.Lock()
	p.held = true
	p.mu.Unlock()
}

// drop closes c and forgets it.
func (p *proxy) drop(c net.Conn) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// cut closes every connection (a reset for the peers) and refuses new ones.
func (p *proxy) cut() {
	p.mu.Lock()
	p.down = true
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, as from a dead process's kernel
		}
		_ = c.Close()
	}
	p.mu.Unlock()
}

// restore lets connections and bytes through again.
func (p *proxy) restore() {
	p.mu.Lock()
	p.down, p.held = false, false
	p.mu.Unlock()
}
