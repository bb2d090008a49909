package security

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

func refresh(t testing.TB, s *Sessions, tok string) Issued {
	t.Helper()
	iss, err := s.Refresh(context.Background(), tok)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return iss
}

func TestRefreshRotatesIntoNewTokens(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store, _ := openStore(t)
	s := newSessions(t, store, c)
	iss := start(t, s, agentParams())
	c.Set(30 * time.Minute)
	next := refresh(t, s, iss.RefreshToken)
	if !wellFormed(next.RefreshToken, RefreshPrefix) || !wellFormed(next.AccessToken, AccessPrefix) ||
		next.RefreshToken == iss.RefreshToken || next.AccessToken == iss.AccessToken {
		t.Fatal("successors are not new tokens of their kinds")
	}
	if !next.AccessExpiresAt.Equal(t0.Add(90*time.Minute)) || !next.RefreshExpiresAt.Equal(t0.Add(30*time.Minute+24*time.Hour)) {
		t.Fatalf("successor expiries %v / %v", next.AccessExpiresAt, next.RefreshExpiresAt)
	}
	if next.Session.ID != iss.Session.ID || next.Session.Generation != 2 {
		t.Fatalf("session %s gen %d, want %s gen 2", next.Session.ID, next.Session.Generation, iss.Session.ID)
	}
	stored, err := store.GetSession(ctx, iss.Session.ID)
	if err != nil || stored.Generation != 2 {
		t.Fatalf("stored generation %d (%v), want 2", stored.Generation, err)
	}
	for _, tok := range []string{iss.AccessToken, next.AccessToken} {
		if _, err := s.Authenticate(ctx, tok); err != nil {
			t.Fatalf("access token after refresh: %v", err)
		}
	}
	c.Set(40 * time.Minute)
	third := refresh(t, s, next.RefreshToken)
	if third.Session.Generation != 3 || third.RefreshToken == next.RefreshToken {
		t.Fatalf("second rotation: gen %d", third.Session.Generation)
	}
}

func TestRefreshExpiresAt24hAnd30d(t *testing.T) {
	for _, c := range []struct {
		remember bool
		ttl      time.Duration
	}{{false, 24 * time.Hour}, {true, 30 * 24 * time.Hour}} {
		clock := newClock()
		store, _ := openStore(t)
		s := newSessions(t, store, clock)
		p := agentParams()
		p.RememberMe = c.remember
		a, b := start(t, s, p), start(t, s, p)
		clock.Set(c.ttl - time.Millisecond)
		if _, err := s.Refresh(context.Background(), a.RefreshToken); err != nil {
			t.Fatalf("remember=%v at ttl-1ms: %v", c.remember, err)
		}
		clock.Set(c.ttl)
		if _, err := s.Refresh(context.Background(), b.RefreshToken); !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("remember=%v at ttl: %v, want ErrTokenExpired", c.remember, err)
		}
	}
}

func TestRefreshReuseWithinGraceReturnsTheSameSuccessor(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	s := newSessions(t, store, c)
	var rec revokeRecorder
	s.OnRevoke(rec.record)
	iss := start(t, s, agentParams())
	c.Set(time.Minute)
	first := refresh(t, s, iss.RefreshToken)
	c.Set(time.Minute + 60*time.Second)
	again := refresh(t, s, iss.RefreshToken)
	// The session's last activity may have been written in between (the
	// rotation counts as use); everything else is the same pair.
	noActivity := func(i Issued) Issued { i.Session.LastSeenAt = time.Time{}; return i }
	if noActivity(again) != noActivity(first) {
		t.Fatalf("reuse within 60s returned %+v, want the first successor %+v", again, first)
	}
	if _, err := s.Authenticate(context.Background(), first.AccessToken); err != nil || len(rec.got()) != 0 {
		t.Fatalf("grace reuse disturbed the session: %v, revokes %v", err, rec.got())
	}
}

func TestRefreshReuseAfterGraceRevokesTheFamily(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store, _ := openStore(t)
	s := newSessions(t, store, c)
	var rec revokeRecorder
	s.OnRevoke(rec.record)
	iss := start(t, s, agentParams())
	bystander := start(t, s, agentParams())
	c.Set(time.Minute)
	next := refresh(t, s, iss.RefreshToken)
	c.Set(time.Minute + 61*time.Second)
	if _, err := s.Refresh(ctx, iss.RefreshToken); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("reuse after 61s: %v, want ErrRefreshReused", err)
	}
	assertFamilyRevoked(t, s, &rec, iss.Session.ID, iss.AccessToken, next.AccessToken)
	if _, err := s.Refresh(ctx, next.RefreshToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("legitimate successor after revocation: %v, want ErrSessionRevoked", err)
	}
	if _, err := s.Authenticate(ctx, bystander.AccessToken); err != nil {
		t.Fatalf("another session was revoked too: %v", err)
	}
}

func TestRefreshReuseOfOlderGenerationRevokesEvenWithinGrace(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	s := newSessions(t, store, c)
	var rec revokeRecorder
	s.OnRevoke(rec.record)
	iss := start(t, s, agentParams())
	c.Set(time.Second)
	g2 := refresh(t, s, iss.RefreshToken)
	c.Set(2 * time.Second)
	g3 := refresh(t, s, g2.RefreshToken)
	c.Set(3 * time.Second) // generation 1 was rotated 2s ago: within 60s, but two behind
	if _, err := s.Refresh(context.Background(), iss.RefreshToken); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("generation-1 reuse: %v, want ErrRefreshReused", err)
	}
	assertFamilyRevoked(t, s, &rec, iss.Session.ID, iss.AccessToken, g2.AccessToken, g3.AccessToken)
}

func assertFamilyRevoked(t *testing.T, s *Sessions, rec *revokeRecorder, id string, access ...string) {
	t.Helper()
	for i, tok := range access {
		if _, err := s.Authenticate(context.Background(), tok); !errors.Is(err, ErrSessionRevoked) {
			t.Fatalf("access token %d of the family: %v, want ErrSessionRevoked", i, err)
		}
	}
	if got := rec.got(); len(got) != 1 || got[0] != id {
		t.Fatalf("OnRevoke calls %v, want [%s]", got, id)
	}
	stored, err := s.store.GetSession(context.Background(), id)
	if err != nil || !stored.Revoked() {
		t.Fatalf("stored session revoked=%v (%v)", stored.Revoked(), err)
	}
}

func TestConcurrentRefreshesConvergeOnOneSuccessor(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store, _ := openStore(t)
	const callers = 20
	counted := &rotateCounter{SessionStore: store, gated: callers}
	counted.gate.Add(callers)                                                    // every caller reads the token unrotated: all 20 race the compare-and-swap
	nodes := []*Sessions{newSessions(t, counted, c), newSessions(t, counted, c)} // two nodes, one store
	var rec revokeRecorder
	for _, n := range nodes {
		n.OnRevoke(rec.record)
	}
	iss := start(t, nodes[0], agentParams())
	c.Set(time.Minute)
	results := make([]Issued, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = nodes[i%2].Refresh(ctx, iss.RefreshToken)
		}()
	}
	wg.Wait()
	for i := 0; i < callers; i++ {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if results[i].RefreshToken != results[0].RefreshToken || results[i].AccessToken != results[0].AccessToken {
			t.Fatalf("caller %d got a different successor: the family forked", i)
		}
	}
	sess, err := store.GetSession(ctx, iss.Session.ID)
	if err != nil || sess.Generation != 2 || sess.Revoked() || len(rec.got()) != 0 {
		t.Fatalf("after 20 refreshes: generation %d revoked %v revokes %v (%v); want one rotation", sess.Generation, sess.Revoked(), rec.got(), err)
	}
	if counted.ok != 1 || counted.calls != callers {
		t.Fatalf("%d rotations committed of %d attempted, want exactly 1 of %d", counted.ok, counted.calls, callers)
	}
	succ := HashToken(results[0].RefreshToken)
	stored, err := store.GetRefreshToken(ctx, succ[:])
	if err != nil || stored.Generation != 2 || stored.Rotated() {
		t.Fatalf("stored successor gen %d rotated %v (%v)", stored.Generation, stored.Rotated(), err)
	}
	if next := refresh(t, nodes[1], results[0].RefreshToken); next.Session.Generation != 3 {
		t.Fatalf("the successor rotates into generation %d, want 3", next.Session.Generation)
	}
}

// rotateCounter counts RotateRefresh calls and commits on the real store.
// Its first gated GetRefreshToken calls wait for each other.
type rotateCounter struct {
	SessionStore
	gated     int
	gate      sync.WaitGroup
	mu        sync.Mutex
	reads     int
	calls, ok int
}

func (r *rotateCounter) GetRefreshToken(ctx context.Context, hash []byte) (storage.RefreshToken, error) {
	tok, err := r.SessionStore.GetRefreshToken(ctx, hash)
	r.mu.Lock()
	r.reads++
	first := r.reads <= r.gated
	r.mu.Unlock()
	if first {
		r.gate.Done()
		r.gate.Wait()
	}
	return tok, err
}

func (r *rotateCounter) RotateRefresh(ctx context.Context, rot storage.Rotation) error {
	err := r.SessionStore.RotateRefresh(ctx, rot)
	r.mu.Lock()
	r.calls++
	if err == nil {
		r.ok++
	}
	r.mu.Unlock()
	return err
}

func TestRefreshRejectsMalformedUnknownAndRevoked(t *testing.T) {
	ctx := context.Background()
	store, _ := openStore(t)
	s := newSessions(t, store, newClock())
	iss := start(t, s, agentParams())
	unknown, _ := NewToken(RefreshPrefix)
	for name, tok := range map[string]string{"empty": "", "access token": iss.AccessToken, "unknown": unknown, "cut": iss.RefreshToken[:20]} {
		if _, err := s.Refresh(ctx, tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
	}
	if err := s.Revoke(ctx, iss.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(ctx, iss.RefreshToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("refresh of revoked session: %v, want ErrSessionRevoked", err)
	}
}

func TestNodesWithDifferentSealersFailLoudlyInGrace(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	a := newSessions(t, store, c)
	b, err := NewSessions(SessionsConfig{Store: store, Now: c.Now}) // its own ephemeral key
	if err != nil {
		t.Fatal(err)
	}
	iss := start(t, a, agentParams())
	c.Set(time.Minute)
	first := refresh(t, a, iss.RefreshToken)
	got, err := b.Refresh(context.Background(), iss.RefreshToken)
	if !errors.Is(err, ErrNoSuccessor) || got.RefreshToken != "" {
		t.Fatalf("grace replay under another keyring: %v, %v; want ErrNoSuccessor", got.RefreshToken, err)
	}
	if _, err := a.Authenticate(context.Background(), first.AccessToken); err != nil {
		t.Fatalf("the family was disturbed: %v", err)
	}
}
