package chaos

import (
	"io"
	"net"
	"sync"
	"testing"
)

// proxy is a loopback TCP proxy in front of a server. cut drops every
// connection and refuses new ones — to the nodes behind it the server is
// gone, as when it is killed — and restore lets connections through again.
// The suite puts the shared MongoDB-wire server behind one, so a case can
// "kill the store" without stopping the server other tests use.
type proxy struct {
	target string
	ln     net.Listener

	mu    sync.Mutex
	down  bool
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
	go func() { _, _ = io.Copy(s, c); _ = s.Close(); close(done) }()
	_, _ = io.Copy(c, s)
	_ = c.Close()
	<-done
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

// restore lets connections through again.
func (p *proxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}
