package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"go.uber.org/goleak"
)

// The tests drive real `helpr serve` processes built from ../helpr.

func TestMain(m *testing.M) {
	if os.Getenv(benchAsMainEnv) == "1" { // a child run as helpr-bench (floor-server)
		os.Exit(realMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(tornDown{m}) // checked once the shared server is stopped
}

// tornDown runs the tests, then stops what they shared, so the leak check
// sees only goroutines the tests left behind.
type tornDown struct{ m *testing.M }

func (r tornDown) Run() int {
	code := r.m.Run()
	stopSharedServer()
	testsvc.RemoveHelprBinary()
	return code
}

// helprServer is one running `helpr serve`.
type helprServer struct {
	base string
	cmd  *exec.Cmd
	logs *testsvc.LockedBuffer
	done chan struct{}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startHelpr starts `helpr serve` on a free loopback port with the rate
// limits a load test needs off (every visitor comes from 127.0.0.1 through
// one widget, and fanout starts many conversations per visitor), and waits
// for /readyz.
func startHelpr(t *testing.T, dataDir string, extra ...string) *helprServer {
	t.Helper()
	addr := freeLoopbackAddr(t)
	args := append([]string{"serve", "--addr", addr, "--data-dir", dataDir, "--no-auth-rate-limits", "--load-test-agent-passwords",
		"--visitor-sessions-per-ip", "off", "--visitor-sessions-per-widget", "off", "--conversations-per-visitor", "off",
		"--agent-creations-per-org", "off",
		"--ws-frame-rate", "1000", "--ws-frame-burst", "1000", "--metrics-addr", "off",
		"--ws-conns-per-ip", "off", "--ws-conns-per-subject", "off"}, extra...)
	s := &helprServer{base: "http://" + addr, logs: &testsvc.LockedBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(testsvc.HelprBinary(t), args...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("helpr exited before it was ready:\n%s", s.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	s.stop()
	t.Fatalf("helpr not ready:\n%s", s.logs.String())
	return nil
}

// stop ends the server gracefully (idempotent).
func (s *helprServer) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

var (
	sharedMu  sync.Mutex
	shared    *helprServer
	sharedDir string
)

// sharedServer is one helpr server for the tests of this package that do
// not need their own (stopped in TestMain).
func sharedServer(t *testing.T) *helprServer {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		return shared
	}
	dir, err := os.MkdirTemp("", "helpr-bench-data-")
	if err != nil {
		t.Fatal(err)
	}
	sharedDir = dir
	shared = startHelpr(t, dir)
	return shared
}

func stopSharedServer() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		shared.stop()
	}
	if sharedDir != "" {
		_ = os.RemoveAll(sharedDir)
	}
}
