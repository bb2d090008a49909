package security

import (
	"context"
	"errors"
	"testing"
	"time"
)

// ValidateCached answers from the cache alone: it never reads the store,
// not even for an unknown or stale token, and says ErrNotCached exactly when
// ValidateHash would have to read the store.
func TestValidateCachedNeverReadsTheStore(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	n := newNode(t, store, c, 30*time.Second)
	iss := start(t, n.Sessions, agentParams())
	h := HashToken(iss.AccessToken)
	if _, err := n.ValidateCached(HashToken("unknown")); !errors.Is(err, ErrNotCached) {
		t.Fatalf("unknown token: %v, want ErrNotCached", err)
	}
	n.mustAuth(t, iss.AccessToken) // cached now
	reads := n.store.lookups()
	if p, err := n.ValidateCached(h); err != nil || p.SessionID != iss.Session.ID {
		t.Fatalf("fresh grant: %+v, %v", p, err)
	}
	c.Set(30*time.Second - time.Millisecond)
	if _, err := n.ValidateCached(h); err != nil {
		t.Fatalf("just under CacheMaxAge: %v", err)
	}
	c.Set(30 * time.Second)
	if _, err := n.ValidateCached(h); !errors.Is(err, ErrNotCached) {
		t.Fatalf("at CacheMaxAge: %v, want ErrNotCached", err)
	}
	if got := n.store.lookups(); got != reads {
		t.Fatalf("ValidateCached read the store %d times", got-reads)
	}
	if _, err := n.ValidateHash(context.Background(), h); err != nil { // the store renews it
		t.Fatal(err)
	}
	if _, err := n.ValidateCached(h); err != nil {
		t.Fatalf("after the store renewed it: %v", err)
	}
	c.Set(time.Hour) // the access token's expiry: known from the cache, stale or not
	if _, err := n.ValidateCached(h); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("at expiry: %v, want ErrTokenExpired", err)
	}
	if err := n.Revoke(context.Background(), iss.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := n.ValidateCached(h); !errors.Is(err, ErrNotCached) { // evicted: only the store knows
		t.Fatalf("after revocation: %v, want ErrNotCached", err)
	}
}

func BenchmarkValidateCached(b *testing.B) {
	store, _ := openStore(b)
	s, err := NewSessions(SessionsConfig{Store: store, CacheMaxAge: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	iss, err := s.Start(context.Background(), agentParams())
	if err != nil {
		b.Fatal(err)
	}
	h := HashToken(iss.AccessToken)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ValidateCached(h); err != nil {
			b.Fatal(err)
		}
	}
}
