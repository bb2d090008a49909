package ws

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// fakeClock is an injected clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// countingStore counts access-grant reads; while gate is set it blocks
// them until the gate is closed (a store that does not answer), and while
// fail is set it fails them (a store outage).
type countingStore struct {
	storage.Store
	reads atomic.Int64
	gate  atomic.Pointer[chan struct{}]
	fail  atomic.Pointer[error]
}

func (s *countingStore) GetAccessGrant(ctx context.Context, hash []byte) (storage.AccessGrant, error) {
	s.reads.Add(1)
	if g := s.gate.Load(); g != nil {
		<-*g
	}
	if err := s.fail.Load(); err != nil {
		return storage.AccessGrant{}, *err
	}
	return s.Store.GetAccessGrant(ctx, hash)
}

// block makes access-grant reads wait until the returned func is called.
func (s *countingStore) block() (release func()) {
	g := make(chan struct{})
	s.gate.Store(&g)
	return func() { s.gate.Store(nil); close(g) }
}

// sweepFixture is a server whose sweeper is driven by hand (its goroutine
// never runs: connections are not added to it), over real Sessions on
// SQLite with a fake clock.
type sweepFixture struct {
	clk      *fakeClock
	raw      storage.Store
	store    *countingStore
	sessions *security.Sessions
	srv      *Server
	org      storage.Organization
	agent    storage.Agent
}

func newSweepFixture(tb testing.TB, maxAge time.Duration) *sweepFixture {
	tb.Helper()
	return newSweepFixtureTTL(tb, maxAge, 0)
}

// newSweepFixtureTTL is newSweepFixture with access tokens living ttl
// (zero: the default hour).
func newSweepFixtureTTL(tb testing.TB, maxAge, ttl time.Duration) *sweepFixture {
	tb.Helper()
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "helpr.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = raw.Close() })
	clk := &fakeClock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	org := storage.Organization{ID: storage.NewID("org"), Name: "Acme", CreatedAt: clk.Now()}
	agent := storage.Agent{ID: storage.NewID("agt"), OrgID: org.ID, Name: "Ada", Email: "ada@acme.test", Role: storage.RoleOwner, PasswordHash: "x", CreatedAt: org.CreatedAt}
	if err := raw.CreateOrgWithOwner(ctx, org, agent); err != nil {
		tb.Fatal(err)
	}
	store := &countingStore{Store: raw}
	sessions, err := security.NewSessions(security.SessionsConfig{Store: store, Now: clk.Now, CacheMaxAge: maxAge, AccessTTL: ttl, TouchInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	srv := NewServer(Config{Sessions: sessions, Logger: zerolog.Nop(), Now: clk.Now,
		PingInterval: time.Hour, RevalidateInterval: 10 * time.Second})
	return &sweepFixture{clk: clk, raw: raw, store: store, sessions: sessions, srv: srv, org: org, agent: agent}
}

// session starts an agent session and returns its token hash and principal
// (cached by the start's validation).
func (f *sweepFixture) session(tb testing.TB) ([32]byte, security.Principal) {
	tb.Helper()
	ctx := context.Background()
	issued, err := f.sessions.Start(ctx, security.StartParams{OrgID: f.org.ID, Kind: storage.SubjectAgent, SubjectID: f.agent.ID})
	if err != nil {
		tb.Fatal(err)
	}
	hash := security.HashToken(issued.AccessToken)
	p, err := f.sessions.ValidateHash(ctx, hash)
	if err != nil {
		tb.Fatal(err)
	}
	return hash, p
}

// conn returns an authenticated, bound connection (no socket) on hash.
func (f *sweepFixture) conn(hash [32]byte, p security.Principal) *conn {
	c := newConn(f.srv, nil, gate{})
	c.principal, c.tokenHash = p, hash
	f.srv.bind(c, p.SessionID)
	return c
}

// sweep visits every connection as one full sweep would, at the fake
// clock's time, with every token check due and no ping due.
func (f *sweepFixture) sweep(conns []*conn) {
	now := f.clk.Now()
	for _, c := range conns {
		c.sweep.nextCheck = time.Time{}
		c.sweep.nextPing = now.Add(time.Hour)
		f.srv.sweep.visit(c, now)
	}
}
