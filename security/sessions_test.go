package security

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

func agentParams() StartParams {
	return StartParams{OrgID: "org_1", Kind: storage.SubjectAgent, SubjectID: "agt_1", IP: "192.0.2.1", UserAgent: "test"}
}

func start(t testing.TB, s *Sessions, p StartParams) Issued {
	t.Helper()
	iss, err := s.Start(context.Background(), p)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return iss
}

// revokeRecorder collects OnRevoke calls.
type revokeRecorder struct {
	mu  sync.Mutex
	ids []string
}

func (r *revokeRecorder) record(id string) { r.mu.Lock(); r.ids = append(r.ids, id); r.mu.Unlock() }

func (r *revokeRecorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

func TestStartAgentIssuesAccessAndRefresh(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	s := newSessions(t, store, c)
	iss := start(t, s, agentParams())
	if !wellFormed(iss.AccessToken, AccessPrefix) || !wellFormed(iss.RefreshToken, RefreshPrefix) {
		t.Fatalf("token shapes: %q %q", iss.AccessToken[:4], iss.RefreshToken[:4])
	}
	if !iss.AccessExpiresAt.Equal(t0.Add(time.Hour)) || !iss.RefreshExpiresAt.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("expiries %v / %v, want +1h / +24h", iss.AccessExpiresAt, iss.RefreshExpiresAt)
	}
	p, err := s.Authenticate(context.Background(), iss.AccessToken)
	want := Principal{SessionID: iss.Session.ID, OrgID: "org_1", Kind: storage.SubjectAgent, SubjectID: "agt_1", ExpiresAt: iss.AccessExpiresAt}
	if err != nil || p != want {
		t.Fatalf("Authenticate = %+v, %v; want %+v", p, err, want)
	}
	remember := agentParams()
	remember.RememberMe = true
	if iss := start(t, s, remember); !iss.RefreshExpiresAt.Equal(t0.Add(30 * 24 * time.Hour)) {
		t.Fatalf("remember-me refresh expires %v, want +30d", iss.RefreshExpiresAt)
	}
}

func TestStartVisitorIssuesOneToken(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	s := newSessions(t, store, c)
	iss := start(t, s, StartParams{OrgID: "org_1", Kind: storage.SubjectVisitor, SubjectID: "vis_1", RememberMe: true})
	if !wellFormed(iss.AccessToken, VisitorPrefix) || iss.RefreshToken != "" || !iss.RefreshExpiresAt.IsZero() {
		t.Fatalf("visitor issue: %q, refresh %q %v", iss.AccessToken[:4], iss.RefreshToken, iss.RefreshExpiresAt)
	}
	if !iss.AccessExpiresAt.Equal(t0.Add(24*time.Hour)) || iss.Session.RememberMe {
		t.Fatalf("visitor token expires %v (remember %v), want +24h", iss.AccessExpiresAt, iss.Session.RememberMe)
	}
	c.Set(24*time.Hour - time.Millisecond)
	if p, err := s.Authenticate(context.Background(), iss.AccessToken); err != nil || p.Kind != storage.SubjectVisitor {
		t.Fatalf("Authenticate visitor = %+v, %v", p, err)
	}
	c.Set(24 * time.Hour)
	if _, err := s.Authenticate(context.Background(), iss.AccessToken); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("visitor token at +24h: %v, want ErrTokenExpired", err)
	}
}

func TestStartRefusesBadParams(t *testing.T) {
	store, _ := openStore(t)
	s := newSessions(t, store, newClock())
	rehash := &storage.PasswordRehash{OrgID: "org_1", AgentID: "agt_other", NewHash: "x"}
	for name, p := range map[string]StartParams{
		"no org":            {Kind: storage.SubjectAgent, SubjectID: "agt_1"},
		"no subject":        {OrgID: "org_1", Kind: storage.SubjectAgent},
		"unknown kind":      {OrgID: "org_1", Kind: "robot", SubjectID: "r"},
		"rehash of another": {OrgID: "org_1", Kind: storage.SubjectAgent, SubjectID: "agt_1", Rehash: rehash},
	} {
		if _, err := s.Start(context.Background(), p); err == nil {
			t.Errorf("%s: Start accepted", name)
		}
	}
}

// The store must hold hashes only: no token appears in the database files.
func TestTokensAreNotStoredInPlaintext(t *testing.T) {
	c := newClock()
	store, path := openStore(t)
	s := newSessions(t, store, c)
	iss := start(t, s, agentParams())
	c.Set(time.Minute)
	next, err := s.Refresh(context.Background(), iss.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(path + "*") // the database, -wal and -shm
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	h := HashToken(iss.AccessToken)
	if !bytes.Contains(all, h[:]) {
		t.Fatal("premise: the access token's hash is not in the files read; this test proves nothing")
	}
	for _, tok := range []string{iss.AccessToken, iss.RefreshToken, next.AccessToken, next.RefreshToken} {
		if bytes.Contains(all, []byte(tok[4:])) {
			t.Fatalf("a %s token is stored in plaintext", tok[:4])
		}
	}
}

func TestAccessTokenExpiresAtExactlyOneHour(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	iss := start(t, newSessions(t, store, c), agentParams())
	for _, warm := range []bool{true, false} {
		s := newSessions(t, store, c) // cold cache: the store path
		if warm {
			c.Set(0)
			if _, err := s.Authenticate(context.Background(), iss.AccessToken); err != nil {
				t.Fatal(err)
			}
		}
		c.Set(time.Hour - time.Millisecond)
		if _, err := s.Authenticate(context.Background(), iss.AccessToken); err != nil {
			t.Fatalf("warm=%v: at 1h-1ms: %v", warm, err)
		}
		c.Set(time.Hour)
		if _, err := s.Authenticate(context.Background(), iss.AccessToken); !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("warm=%v: at 1h: %v, want ErrTokenExpired", warm, err)
		}
	}
}

func TestAuthenticateRejectsMalformedAndUnknown(t *testing.T) {
	store, _ := openStore(t)
	s := newSessions(t, store, newClock())
	iss := start(t, s, agentParams())
	unknown, _ := NewToken(AccessPrefix)
	for name, tok := range map[string]string{
		"empty":         "",
		"refresh token": iss.RefreshToken,
		"truncated":     iss.AccessToken[:len(iss.AccessToken)-1],
		"bad char":      iss.AccessToken[:10] + "*" + iss.AccessToken[11:],
		"unknown":       unknown,
	} {
		if _, err := s.Authenticate(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
	}
}

func TestRevokeEvictsCachedTokensAndNotifies(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	s := newSessions(t, store, c)
	var rec revokeRecorder
	s.OnRevoke(rec.record)
	iss := start(t, s, agentParams())
	other := start(t, s, agentParams())
	c.Set(time.Minute)
	next, err := s.Refresh(context.Background(), iss.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{iss.AccessToken, next.AccessToken} {
		if _, ok := s.cache.get(HashToken(tok)); !ok {
			t.Fatal("premise: issued access token not cached")
		}
	}
	if err := s.Revoke(context.Background(), iss.Session.ID); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{iss.AccessToken, next.AccessToken} {
		if _, ok := s.cache.get(HashToken(tok)); ok {
			t.Fatal("revoked session's token still cached")
		}
		if _, err := s.Authenticate(context.Background(), tok); !errors.Is(err, ErrSessionRevoked) {
			t.Fatalf("revoked session's token: %v, want ErrSessionRevoked", err)
		}
	}
	if _, err := s.Authenticate(context.Background(), other.AccessToken); err != nil {
		t.Fatalf("another session stopped working: %v", err)
	}
	if got := rec.got(); len(got) != 1 || got[0] != iss.Session.ID {
		t.Fatalf("OnRevoke calls %v, want [%s]", got, iss.Session.ID)
	}
	if _, err := s.Refresh(context.Background(), next.RefreshToken); !errors.Is(err, ErrSessionRevoked) {
		t.Fatalf("refresh of a revoked session: %v, want ErrSessionRevoked", err)
	}
}

// countingStore counts access-grant lookups on the real store.
type countingStore struct {
	SessionStore
	mu     sync.Mutex
	grants int
}

func (c *countingStore) GetAccessGrant(ctx context.Context, hash []byte) (storage.AccessGrant, error) {
	c.mu.Lock()
	c.grants++
	c.mu.Unlock()
	return c.SessionStore.GetAccessGrant(ctx, hash)
}

func TestValidateHashServesHitsFromCache(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	iss := start(t, newSessions(t, store, c), agentParams())
	counted := &countingStore{SessionStore: store}
	s := newSessions(t, counted, c)
	h := HashToken(iss.AccessToken)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.ValidateHash(context.Background(), h); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	first := counted.grants
	if first < 1 || first > 20 {
		t.Fatalf("%d store lookups for 20 cold calls", first)
	}
	for i := 0; i < 100; i++ {
		if _, err := s.ValidateHash(context.Background(), h); err != nil {
			t.Fatal(err)
		}
	}
	if counted.grants != first {
		t.Fatalf("warm calls went to the store %d times", counted.grants-first)
	}
}

func TestStartWithRehashUpgradesLegacyPassword(t *testing.T) {
	ctx := context.Background()
	store, _ := openStore(t)
	h := newHasher(t, HasherConfig{})
	org := storage.Organization{ID: "org_1", Name: "Acme", CreatedAt: t0}
	agent := storage.Agent{ID: "agt_1", OrgID: "org_1", Name: "A", Email: "a@acme.test", Role: storage.RoleOwner, CreatedAt: t0,
		PasswordHash: mustBcrypt(t, "legacy-password")}
	if err := store.CreateOrgWithOwner(ctx, org, agent); err != nil {
		t.Fatal(err)
	}
	ok, rehash, err := h.Verify(ctx, agent.PasswordHash, "legacy-password")
	if !ok || !rehash || err != nil {
		t.Fatalf("Verify legacy = %v, %v, %v", ok, rehash, err)
	}
	newHash, err := h.Hash(ctx, "legacy-password")
	if err != nil {
		t.Fatal(err)
	}
	p := agentParams()
	p.Rehash = &storage.PasswordRehash{OrgID: "org_1", AgentID: "agt_1", NewHash: newHash}
	start(t, newSessions(t, store, newClock()), p)
	got, err := store.GetAgent(ctx, "org_1", "agt_1")
	if err != nil || got.PasswordHash != newHash {
		t.Fatalf("agent hash after sign-in: %q, %v; want the argon2id hash", got.PasswordHash, err)
	}
	if ok, rehash, _ := h.Verify(ctx, got.PasswordHash, "legacy-password"); !ok || rehash {
		t.Fatalf("upgraded hash: ok=%v rehash=%v", ok, rehash)
	}
}
