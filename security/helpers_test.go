package security

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage/sqlite"
)

// fakeClock is an injected clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// t0 is a whole second, so second-precision boundaries are easy to read.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newClock() *fakeClock { return &fakeClock{t: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t0+d.
func (c *fakeClock) Set(d time.Duration) {
	c.mu.Lock()
	c.t = t0.Add(d)
	c.mu.Unlock()
}

// openStore opens a real SQLite store in a temporary directory and returns
// it with the database file's path.
func openStore(t testing.TB) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "helpr.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, path
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// testSealer is the successor sealer every newSessions shares, like the
// nodes of a cluster share the keyring.
var testSealer = sync.OnceValue(func() SuccessorSealer {
	k, err := NewKeyring(t0)
	if err != nil {
		panic(err)
	}
	c, err := NewFieldCipher(k)
	if err != nil {
		panic(err)
	}
	return c
})

// newSessions returns Sessions over store with clock c and default TTLs.
func newSessions(t testing.TB, store SessionStore, c *fakeClock) *Sessions {
	t.Helper()
	s, err := NewSessions(SessionsConfig{Store: store, Sealer: testSealer(), Now: c.Now})
	if err != nil {
		t.Fatalf("NewSessions: %v", err)
	}
	return s
}
