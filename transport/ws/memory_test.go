package ws

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// The per-connection memory benchmark holds idle connections open from a
// child process (this test binary re-run), so that the parent's MemStats
// count the server side only.
const (
	idleChildEnv = "HELPR_WS_IDLE_CHILD" // "<url> <tokens file or -> <n>"
	idleConns    = 500
	// idleProfileEnv names a file that receives a heap profile taken while
	// the connections are held (go tool pprof -sample_index=inuse_space).
	idleProfileEnv = "HELPR_WS_IDLE_HEAP_PROFILE"
)

// memTarget is a server under measurement and the tokens its clients use
// (nil: no authentication).
type memTarget struct {
	url    string
	tokens []string
	conns  func() int
	// whileHeld, if set, runs once every connection is open (after the
	// measurement).
	whileHeld func()
}

// BenchmarkIdleConnMemory reports the server's heap + goroutine stacks per
// idle connection: helpr (real visitor sessions on a temporary SQLite
// store, authenticated at upgrade) and, as the floor, a bare coder/websocket
// echo server. Run with -benchtime 1x; the goal is helpr ≤ 1.2× the floor.
func BenchmarkIdleConnMemory(b *testing.B) {
	b.Run("floor", func(b *testing.B) { benchIdle(b, floorTarget(b)) })
	b.Run("helpr", func(b *testing.B) { benchIdle(b, helprTarget(b, idleConns)) })
}

// TestIdleConnMemoryHarness runs the measurement briefly so the harness
// stays working: every child connection is authenticated and held, and an
// idle connection costs one goroutine (its reader): no writer, no timers'
// goroutines.
func TestIdleConnMemoryHarness(t *testing.T) {
	const n = 20
	tg := helprTarget(t, n)
	goroutines := runtime.NumGoroutine()
	tg.whileHeld = func() {
		want := goroutines + n + 1                   // the readers and the server's sweeper
		deadline := time.Now().Add(10 * time.Second) // a guard: writers park at once
		for runtime.NumGoroutine() > want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := runtime.NumGoroutine(); got > want {
			t.Errorf("%d idle connections hold %d goroutines, want at most %d", n, got-goroutines, want-goroutines)
		}
	}
	m := measureIdle(t, tg, n)
	if m.heap+m.stack <= 0 {
		t.Fatalf("%d connections measured %+v bytes each", n, m)
	}
}

func benchIdle(b *testing.B, tg memTarget) {
	var sum idleMemory
	for range b.N {
		m := measureIdle(b, tg, idleConns)
		sum.heap += m.heap
		sum.stack += m.stack
	}
	n := float64(b.N)
	b.ReportMetric((sum.heap+sum.stack)/n, "bytes/conn")
	b.ReportMetric(sum.heap/n, "heap-bytes/conn")
	b.ReportMetric(sum.stack/n, "stack-bytes/conn")
	b.ReportMetric(0, "ns/op")
}

// idleMemory is the growth of HeapInuse and StackInuse per connection.
type idleMemory struct{ heap, stack float64 }

// measureIdle opens n idle connections from a child process and returns the
// growth of HeapInuse and StackInuse per connection once they are all open.
func measureIdle(tb testing.TB, tg memTarget, n int) idleMemory {
	tb.Helper()
	tokens := "-"
	if tg.tokens != nil {
		tokens = filepath.Join(tb.TempDir(), "tokens")
		if err := os.WriteFile(tokens, []byte(strings.Join(tg.tokens[:n], "\n")), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	before := serverMemory()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientsChild$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d", idleChildEnv, tg.url, tokens, n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		tb.Fatalf("child: %q, %v", line, err)
	}
	if got := tg.conns(); got != n {
		tb.Fatalf("server holds %d connections, want %d", got, n)
	}
	after := serverMemory()
	if tg.whileHeld != nil {
		tg.whileHeld()
	}
	if path := os.Getenv(idleProfileEnv); path != "" {
		writeHeapProfile(tb, path)
	}
	return idleMemory{
		heap:  (float64(after.HeapInuse) - float64(before.HeapInuse)) / float64(n),
		stack: (float64(after.StackInuse) - float64(before.StackInuse)) / float64(n),
	}
}

func writeHeapProfile(tb testing.TB, path string) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		tb.Fatal(err)
	}
}

// serverMemory returns the memory statistics after garbage collection
// (several cycles, so that stacks grown at connect time shrink back).
func serverMemory() runtime.MemStats {
	var m runtime.MemStats
	for range 8 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m
}

// TestIdleClientsChild is the child side of measureIdle; it does nothing
// unless started by it.
func TestIdleClientsChild(t *testing.T) {
	spec := os.Getenv(idleChildEnv)
	if spec == "" {
		return
	}
	if err := holdIdleClients(spec); err != nil {
		fmt.Fprintln(os.Stderr, "idle child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func holdIdleClients(spec string) error {
	var url, tokensFile string
	var n int
	if _, err := fmt.Sscan(spec, &url, &tokensFile, &n); err != nil {
		return err
	}
	var tokens []string
	if tokensFile != "-" {
		b, err := os.ReadFile(tokensFile)
		if err != nil {
			return err
		}
		tokens = strings.Split(string(b), "\n")
	}
	ctx := context.Background()
	conns := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.CloseNow()
		}
	}()
	for i := range n {
		c, err := dialIdle(ctx, url, tokens, i)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		conns = append(conns, c)
		go func() { // answer pings until the end
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	return nil
}

// dialIdle opens one connection and waits for its first frame: helpr's
// ready (authenticated), or the floor's echo.
func dialIdle(ctx context.Context, url string, tokens []string, i int) (*websocket.Conn, error) {
	h := http.Header{}
	if tokens != nil {
		h.Set("Authorization", "Bearer "+tokens[i])
	}
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, err
	}
	if tokens == nil {
		if err := c.Write(ctx, websocket.MessageText, []byte("x")); err != nil {
			return nil, err
		}
	}
	_, data, err := c.Read(ctx)
	if err != nil {
		return nil, err
	}
	if tokens != nil && !bytes.Contains(data, []byte(`"type":"ready"`)) {
		return nil, fmt.Errorf("first frame %s, want ready", data)
	}
	return c, nil
}

// floorTarget is a bare coder/websocket echo server: no auth, no storage,
// no protocol, one goroutine per connection.
func floorTarget(tb testing.TB) memTarget {
	var open atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		open.Add(1)
		defer open.Add(-1)
		for {
			typ, data, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, data); err != nil {
				return
			}
		}
	}))
	tb.Cleanup(ts.Close)
	return memTarget{url: ts.URL, conns: func() int { return int(open.Load()) }}
}

// helprTarget is ws.Server with real visitor sessions on a temporary SQLite
// store, and n visitor tokens.
func helprTarget(tb testing.TB, n int) memTarget {
	tb.Helper()
	return helprTargetWith(tb, n, func(*Config) {})
}

// helprTargetWith is helprTarget with the server's configuration adjusted
// by tweak.
func helprTargetWith(tb testing.TB, n int, tweak func(*Config)) memTarget {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "helpr.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = store.Close() })
	sessions, err := security.NewSessions(security.SessionsConfig{Store: store})
	if err != nil {
		tb.Fatal(err)
	}
	tokens := seedVisitors(tb, store, sessions, n)
	cfg := Config{Hub: hub.New(store, Codec{}, hub.Options{}), Sessions: sessions,
		Directory: sealed(tb, store), Logger: zerolog.Nop(), ConnsPerIP: NoCap, ConnsPerSubject: NoCap}
	tweak(&cfg)
	srv := NewServer(cfg)
	ts := httptest.NewServer(srv)
	tb.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		ts.Close()
	})
	return memTarget{url: ts.URL, tokens: tokens, conns: srv.ConnCount}
}

// seedVisitors stores an organisation, a widget and n visitors, each with a
// session, and returns their access tokens.
func seedVisitors(tb testing.TB, store *sqlite.Store, sessions *security.Sessions, n int) []string {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	org := storage.Organization{ID: storage.NewID("org"), Name: "Acme", CreatedAt: now}
	owner := storage.Agent{ID: storage.NewID("agt"), OrgID: org.ID, Name: "Ada", Email: "ada@acme.test",
		Role: storage.RoleOwner, PasswordHash: "x", CreatedAt: now}
	if err := store.CreateOrgWithOwner(ctx, org, owner); err != nil {
		tb.Fatal(err)
	}
	wdg := storage.Widget{ID: storage.NewID("wdg"), OrgID: org.ID, Name: "site",
		PublishableKey: "pk_" + strconv.FormatInt(now.UnixNano(), 36), CreatedAt: now}
	if err := store.CreateWidget(ctx, wdg); err != nil {
		tb.Fatal(err)
	}
	tokens := make([]string, n)
	for i := range tokens {
		v := storage.Visitor{ID: storage.NewID("vis"), OrgID: org.ID, WidgetID: wdg.ID, CreatedAt: now}
		if err := store.CreateVisitor(ctx, v); err != nil {
			tb.Fatal(err)
		}
		issued, err := sessions.Start(ctx, security.StartParams{OrgID: org.ID, Kind: storage.SubjectVisitor, SubjectID: v.ID})
		if err != nil {
			tb.Fatal(err)
		}
		tokens[i] = issued.AccessToken
	}
	return tokens
}
