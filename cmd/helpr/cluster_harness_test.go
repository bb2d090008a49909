package main

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

// proc is one `helpr serve` process of a cluster.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	base string
	logs *syncBuffer
	done chan struct{}
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProc starts `helpr serve` with args and waits until it is ready.
func startProc(t *testing.T, name, addr string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, addr: addr, base: "http://" + addr, logs: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(testsvc.HelprBinary(t), append([]string{"serve", "--addr", addr, "--node-id", name, "--log-level", "debug",
		"--metrics-addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s logs (errors and warnings):\n%s", name, notable(p.logs.String()))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready:\n%s", name, p.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("%s not ready:\n%s", name, p.logs.String())
	return nil
}

// notable keeps the log lines at warn level or above.
func notable(logs string) string {
	var b strings.Builder
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"level":"warn"`) || strings.Contains(line, `"level":"error"`) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// kill ends the process with SIGKILL: no shutdown, no flushing.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends the process gracefully (idempotent).
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// asNode lets the REST helpers of the in-process harness drive a process.
func (p *proc) asNode() *node {
	return &node{t: p.t, base: p.base, logs: p.logs}
}

// waitFor polls cond until it holds or the context ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
