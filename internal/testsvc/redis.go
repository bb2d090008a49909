package testsvc

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// redisStartTimeout bounds how long a started redis-server may take to
	// answer PING (a deadlock guard, not a speed requirement).
	redisStartTimeout = 20 * time.Second
	// redisStartAttempts is how many free ports NewRedis tries when another
	// process takes the one it picked before redis-server binds it.
	redisStartAttempts = 5
	// redisDefaultPort is never used: a developer's own Redis may run there.
	redisDefaultPort = 6379
)

// RedisServer is a dedicated redis-server process on a loopback port,
// started by NewRedis and stopped at the end of the test. It keeps nothing
// on disk (no RDB snapshots, no AOF). Its methods are safe for concurrent
// use.
type RedisServer struct {
	t    testing.TB
	bin  string
	dir  string
	port int

	mu   sync.Mutex
	proc *redisProc // nil while stopped
}

// redisProc is one running redis-server process.
type redisProc struct {
	cmd    *exec.Cmd
	out    *redisOutput
	exited chan struct{} // closed once the process has been waited for
}

// NewRedis starts a dedicated redis-server on a free 127.0.0.1 port (never
// 6379) with `--save "" --appendonly no`, waits until it answers PING, and
// stops it at t.Cleanup. Without a redis-server binary it fails the test
// when the CI environment variable is set and skips it otherwise.
func NewRedis(t testing.TB) *RedisServer {
	t.Helper()
	bin := redisBinary()
	if bin == "" {
		redisMissing(t, "redis-server not found in PATH or at /usr/bin/redis-server (install Debian's redis-server: make testdeps)")
	}
	r := &RedisServer{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(r.Stop)
	var errs []string
	for range redisStartAttempts {
		port, err := freeRedisPort()
		if err != nil {
			t.Fatalf("testsvc: pick a port for redis-server: %v", err)
		}
		r.port = port
		if err := r.start(); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		return r
	}
	t.Fatalf("testsvc: redis-server did not start:\n%s", strings.Join(errs, "\n"))
	return nil
}

// RedisURL returns HELPR_TEST_REDIS_URL when it is set (an existing server
// the caller shares with other tests), or else the URL of a dedicated
// server started with NewRedis.
func RedisURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("HELPR_TEST_REDIS_URL"); u != "" {
		return u
	}
	return NewRedis(t).URL()
}

// URL returns the server's address as a go-redis URL on database 0.
func (r *RedisServer) URL() string {
	return fmt.Sprintf("redis://%s/0", r.addr())
}

// addr returns the server's host:port.
func (r *RedisServer) addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))
}

// Stop kills the server (SIGKILL, like a crash) and waits for the process
// to exit. Clients see their connections drop. It is idempotent.
func (r *RedisServer) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc == nil {
		return
	}
	_ = r.proc.cmd.Process.Kill()
	<-r.proc.exited
	r.proc = nil
}

// Start starts the server again on the same port (empty: nothing was
// persisted) and waits until it answers PING. It does nothing when the
// server runs. A failure fails the test.
func (r *RedisServer) Start() {
	r.t.Helper()
	var err error
	for range redisStartAttempts {
		if err = r.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond) // the old socket may still be closing
	}
	r.t.Fatalf("testsvc: restart redis-server on port %d: %v", r.port, err)
}

// start launches the process on r.port unless it runs, and waits for PING.
func (r *RedisServer) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil {
		return nil
	}
	p, err := r.launch()
	if err != nil {
		return err
	}
	if err := waitRedisPing(r.addr(), p.exited); err != nil {
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("port %d: %w; output:\n%s", r.port, err, p.out.String())
	}
	r.proc = p
	return nil
}

// launch starts redis-server in the foreground, its output kept for error
// messages.
func (r *RedisServer) launch() (*redisProc, error) {
	if r.port == redisDefaultPort {
		return nil, fmt.Errorf("refusing port %d", redisDefaultPort)
	}
	cmd := exec.Command(r.bin,
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--dir", r.dir, "--logfile", "")
	out := &redisOutput{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", r.bin, err)
	}
	p := &redisProc{cmd: cmd, out: out, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// waitRedisPing polls addr until it answers PING, the process exits or
// redisStartTimeout passes.
func waitRedisPing(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(redisStartTimeout)
	for {
		err := redisPing(addr)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited: %w", err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no PONG within %v: %w", redisStartTimeout, err)
		}
	}
}

// redisPing sends one inline PING and expects +PONG.
func redisPing(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// freeRedisPort asks the kernel for a free loopback port.
func freeRedisPort() (int, error) {
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if port != redisDefaultPort {
			return port, nil
		}
	}
}

// redisBinary returns the redis-server to run, or "" when there is none.
func redisBinary() string {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	const debian = "/usr/bin/redis-server"
	if fi, err := os.Stat(debian); err == nil && !fi.IsDir() {
		return debian
	}
	return ""
}

// redisMissing fails the test in CI (the CI variable is set) and skips
// it elsewhere, saying why.
func redisMissing(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("testsvc: %s (CI is set: tests needing this service must not skip)", reason)
	}
	t.Skipf("testsvc: %s", reason)
}

// redisOutput collects a process's output; the process and the test
// read and write it concurrently.
type redisOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *redisOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *redisOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
