package security

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// switchStore is a real store whose access-grant lookups are counted and
// can be made to fail.
type switchStore struct {
	SessionStore
	mu     sync.Mutex
	grants int
	err    error // returned by GetAccessGrant while set
}

func (s *switchStore) GetAccessGrant(ctx context.Context, hash []byte) (storage.AccessGrant, error) {
	s.mu.Lock()
	s.grants++
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return storage.AccessGrant{}, err
	}
	return s.SessionStore.GetAccessGrant(ctx, hash)
}

func (s *switchStore) fail(err error) { s.mu.Lock(); s.err = err; s.mu.Unlock() }

func (s *switchStore) lookups() int { s.mu.Lock(); defer s.mu.Unlock(); return s.grants }

// node is one cluster node's Sessions over a shared store, with its
// revocation listeners recorded.
type node struct {
	*Sessions
	store       *switchStore
	revoked     revokeRecorder // OnRevoke
	revokedHere revokeRecorder // OnLocalRevoke
}

func newNode(t *testing.T, store SessionStore, c *fakeClock, maxAge time.Duration) *node {
	t.Helper()
	n := &node{store: &switchStore{SessionStore: store}}
	s, err := NewSessions(SessionsConfig{Store: n.store, Now: c.Now, CacheMaxAge: maxAge})
	if err != nil {
		t.Fatalf("NewSessions: %v", err)
	}
	n.Sessions = s
	s.OnRevoke(n.revoked.record)
	s.OnLocalRevoke(n.revokedHere.record)
	return n
}

func (n *node) mustAuth(t *testing.T, tok string) {
	t.Helper()
	if _, err := n.Authenticate(context.Background(), tok); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
}

func sameIDs(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestOnLocalRevokeFiresOnlyForRevocationsOriginatingHere(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store, _ := openStore(t)
	n := newNode(t, store, c, 0)
	a, b, r := start(t, n.Sessions, agentParams()), start(t, n.Sessions, agentParams()), start(t, n.Sessions, agentParams())

	if err := n.Revoke(ctx, a.Session.ID); err != nil { // logout
		t.Fatal(err)
	}
	n.EvictSession(b.Session.ID) // another node's revocation, announced
	c.Set(time.Minute)
	refresh(t, n.Sessions, r.RefreshToken)
	c.Set(2*time.Minute + time.Second)
	if _, err := n.Refresh(ctx, r.RefreshToken); !errors.Is(err, ErrRefreshReused) { // replay: family revoked here
		t.Fatalf("replay: %v, want ErrRefreshReused", err)
	}
	if got := n.revoked.got(); !sameIDs(got, a.Session.ID, b.Session.ID, r.Session.ID) {
		t.Fatalf("OnRevoke calls %v, want logout, eviction, family revoke", got)
	}
	if got := n.revokedHere.got(); !sameIDs(got, a.Session.ID, r.Session.ID) {
		t.Fatalf("OnLocalRevoke calls %v, want logout and family revoke only", got)
	}
}

// A revocation on node 1 that node 2 is never told of (a lost pub/sub
// message) takes effect on node 2 exactly when its cached grant reaches
// CacheMaxAge, and is then announced to node 2's OnRevoke listeners (its
// sockets close) but not republished.
func TestCacheMaxAgeBoundsALostInvalidation(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store, _ := openStore(t)
	n1, n2 := newNode(t, store, c, 30*time.Second), newNode(t, store, c, 30*time.Second)
	iss := start(t, n1.Sessions, agentParams())
	n2.mustAuth(t, iss.AccessToken) // cached on node 2 at t0
	if err := n1.Revoke(ctx, iss.Session.ID); err != nil {
		t.Fatal(err)
	}
	c.Set(30*time.Second - time.Nanosecond)
	n2.mustAuth(t, iss.AccessToken) // still trusted: the bound is CacheMaxAge, not less
	if got := n2.store.lookups(); got != 1 {
		t.Fatalf("node 2 read the store %d times within CacheMaxAge, want 1", got)
	}
	c.Set(30 * time.Second)
	if _, err := n2.Authenticate(ctx, iss.AccessToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("at CacheMaxAge: %v, want ErrSessionRevoked", err)
	}
	if _, ok := n2.cache.get(HashToken(iss.AccessToken)); ok {
		t.Fatal("revoked grant still cached on node 2")
	}
	if got := n2.revoked.got(); !sameIDs(got, iss.Session.ID) {
		t.Fatalf("node 2 OnRevoke calls %v, want [%s]", got, iss.Session.ID)
	}
	if got := n2.revokedHere.got(); len(got) != 0 {
		t.Fatalf("node 2 OnLocalRevoke calls %v: a found revocation would be republished", got)
	}
	if _, err := n2.Authenticate(ctx, iss.AccessToken); !errors.Is(err, ErrSessionRevoked) || len(n2.revoked.got()) != 1 {
		t.Fatalf("later call: %v, OnRevoke calls %v", err, n2.revoked.got())
	}
}

func TestCacheMaxAgeRevalidationRenewsTheEntry(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	n := newNode(t, store, c, 30*time.Second)
	iss := start(t, n.Sessions, agentParams()) // cached by Start: no lookup
	for _, step := range []struct {
		at      time.Duration
		lookups int
	}{
		{29 * time.Second, 0},
		{30 * time.Second, 1}, // stale: read again, renewed at 30s
		{59 * time.Second, 1},
		{60 * time.Second, 2},
	} {
		c.Set(step.at)
		n.mustAuth(t, iss.AccessToken)
		if got := n.store.lookups(); got != step.lookups {
			t.Fatalf("at t0+%v: %d store lookups, want %d", step.at, got, step.lookups)
		}
	}
}

func TestCacheMaxAgeFailsClosedWhileTheStoreFails(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store, _ := openStore(t)
	n := newNode(t, store, c, 30*time.Second)
	iss := start(t, n.Sessions, agentParams())
	down := errors.New("store unreachable")
	n.store.fail(down)
	c.Set(10 * time.Second)
	n.mustAuth(t, iss.AccessToken) // fresh hit: no store needed
	c.Set(30 * time.Second)
	for range 2 {
		if _, err := n.Authenticate(ctx, iss.AccessToken); !errors.Is(err, down) {
			t.Fatalf("stale grant while the store fails: %v, want the store error", err)
		}
	}
	n.store.fail(nil)
	n.mustAuth(t, iss.AccessToken)
	if len(n.revoked.got()) != 0 {
		t.Fatalf("a store failure was taken for a revocation: %v", n.revoked.got())
	}
}

func TestCacheMaxAgeDropsAGrantTheStoreNoLongerHas(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	n := newNode(t, store, c, 30*time.Second)
	iss := start(t, n.Sessions, agentParams())
	n.store.fail(storage.ErrNotFound)
	c.Set(30 * time.Second)
	if _, err := n.Authenticate(context.Background(), iss.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("vanished grant: %v, want ErrInvalidToken", err)
	}
	if _, ok := n.cache.get(HashToken(iss.AccessToken)); ok {
		t.Fatal("vanished grant still cached")
	}
}

// Without CacheMaxAge (one node) a cached grant is trusted until it expires:
// only Revoke or EvictSession remove it.
func TestCacheWithoutMaxAgeTrustsHitsUntilEvicted(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store, _ := openStore(t)
	n1, n2 := newNode(t, store, c, 0), newNode(t, store, c, 0)
	iss := start(t, n1.Sessions, agentParams())
	n2.mustAuth(t, iss.AccessToken)
	if err := n1.Revoke(ctx, iss.Session.ID); err != nil {
		t.Fatal(err)
	}
	c.Set(time.Hour - time.Millisecond)
	n2.mustAuth(t, iss.AccessToken)
	if got := n2.store.lookups(); got != 1 {
		t.Fatalf("%d lookups, want 1", got)
	}
	n2.EvictSession(iss.Session.ID)
	if _, err := n2.Authenticate(ctx, iss.AccessToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("after EvictSession: %v, want ErrSessionRevoked", err)
	}
}

func TestNewSessionsRefusesNegativeCacheMaxAge(t *testing.T) {
	store, _ := openStore(t)
	if _, err := NewSessions(SessionsConfig{Store: store, CacheMaxAge: -time.Second}); err == nil {
		t.Fatal("negative CacheMaxAge accepted")
	}
}
