package chaos

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
)

// nodeReadyTimeout bounds a node's start (a deadlock guard).
const nodeReadyTimeout = 60 * time.Second

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

// node is one `helpr serve` process.
type node struct {
	t     *testing.T
	name  string
	addr  string
	base  string
	pprof string // its --pprof-addr: the goroutine count is read there
	args  []string
	env   []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	logs *testsvc.LockedBuffer
	done chan struct{}
}

// startNode starts `helpr serve` with args (and extra environment) and waits
// until /readyz answers 200.
func startNode(t *testing.T, name string, env []string, args ...string) *node {
	t.Helper()
	n := &node{t: t, name: name, addr: freeAddr(t), pprof: freeAddr(t), args: args, env: env}
	n.base = "http://" + n.addr
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Logf("%s logs (warnings and errors):\n%s", name, notable(n.logs))
		}
	})
	n.start()
	return n
}

// start launches the process (again, on the same ports) and waits for it.
func (n *node) start() {
	n.t.Helper()
	n.mu.Lock()
	n.logs = &testsvc.LockedBuffer{}
	n.done = make(chan struct{})
	n.cmd = exec.Command(testsvc.HelprBinary(n.t), append([]string{"serve", "--addr", n.addr, "--node-id", n.name,
		"--log-level", "info", "--metrics-addr", "off", "--pprof-addr", n.pprof}, n.args...)...)
	n.cmd.Env = append(os.Environ(), n.env...)
	n.cmd.Stdout, n.cmd.Stderr = n.logs, n.logs
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(nodeReadyTimeout)
	for time.Now().Before(deadline) {
		if readyz(n.base) == http.StatusOK {
			return
		}
		select {
		case <-done:
			n.t.Fatalf("%s exited before it was ready:\n%s", n.name, n.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	n.t.Fatalf("%s not ready:\n%s", n.name, n.logs.String())
}

// readyz returns the status of GET /readyz, 0 when the node does not answer.
func readyz(base string) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// kill ends the process with SIGKILL: no shutdown, no flushing.
func (n *node) kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// alive reports whether the process runs.
func (n *node) alive() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// stop ends the process gracefully (idempotent).
func (n *node) stop() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// goroutines reads the node's goroutine count from its pprof listener.
func (n *node) goroutines() (int, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + n.pprof + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		return 0, err
	}
	const prefix = "goroutine profile: total "
	if !strings.HasPrefix(line, prefix) {
		return 0, fmt.Errorf("unexpected goroutine profile %q", line)
	}
	return strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, prefix)))
}

// notable keeps the log lines of logs at warn level or above.
func notable(logs *testsvc.LockedBuffer) string {
	var b strings.Builder
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"level":"warn"`) || strings.Contains(line, `"level":"error"`) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
