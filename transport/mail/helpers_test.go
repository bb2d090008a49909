package mail

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// testFrom is the sender every test queue uses.
const testFrom = "helpr <no-reply@chat.example.test>"

// secretWords are the parts of the test messages no log line may hold.
var secretWords = []string{"@example.test", "Sign in", "magic=", "canary"}

// logBuf collects a logger's lines; safe for concurrent use.
type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// checkClean fails the test if a log line holds an address or content.
func (l *logBuf) checkClean(t *testing.T) {
	t.Helper()
	for _, w := range secretWords {
		if strings.Contains(l.String(), w) {
			t.Errorf("logs hold %q:\n%s", w, l.String())
		}
	}
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// openStore opens a SQLite store at path, closed at cleanup.
func openStore(t *testing.T, path string) storage.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newTestQueue returns a queue over a fresh SQLite store with its log.
func newTestQueue(t *testing.T, sender Sender, clk *clock, tweak ...func(*QueueConfig)) (*Queue, storage.Store, *logBuf) {
	t.Helper()
	st := openStore(t, filepath.Join(t.TempDir(), "helpr.db"))
	q, logs := queueOn(t, st, sender, clk, tweak...)
	return q, st, logs
}

func queueOn(t *testing.T, st Store, sender Sender, clk *clock, tweak ...func(*QueueConfig)) (*Queue, *logBuf) {
	t.Helper()
	logs := &logBuf{}
	cfg := QueueConfig{Store: st, Sender: sender, From: testFrom, Logger: zerolog.New(logs).Level(zerolog.DebugLevel),
		Now: clk.Now}
	for _, f := range tweak {
		f(&cfg)
	}
	q, err := NewQueue(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logs.checkClean(t) })
	return q, logs
}

// magicLink is a message as the magic-link flow queues it.
func magicLink(to string) Message {
	return Message{OrgID: "org_a", To: to, Kind: KindMagicLink, Subject: "Sign in to helpr",
		Text: "Open this link within 15 minutes to sign in:\n\nhttps://chat.example.test/console/#magic=canarytoken\n"}
}

// run starts q.Run and returns its stop, which waits for Run to return.
func run(t *testing.T, q *Queue) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// senderFunc adapts a function to Sender.
type senderFunc func(ctx context.Context, e Envelope) error

func (f senderFunc) Send(ctx context.Context, e Envelope) error { return f(ctx, e) }
