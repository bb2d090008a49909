package security

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// touchStore records TouchSession calls on a real SQLite store.
type touchStore struct {
	SessionStore
	inner SessionToucher
	mu    sync.Mutex
	calls []time.Time
}

func (s *touchStore) TouchSession(ctx context.Context, id string, at time.Time) error {
	s.mu.Lock()
	s.calls = append(s.calls, at)
	s.mu.Unlock()
	return s.inner.TouchSession(ctx, id, at)
}

func (s *touchStore) touches() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.calls...)
}

func newTouchSessions(t *testing.T, c *fakeClock) (*Sessions, *touchStore) {
	t.Helper()
	raw, _ := openStore(t)
	ts := &touchStore{SessionStore: raw, inner: raw}
	return newSessions(t, ts, c), ts
}

// Use of an agent session is written as activity at most once a minute:
// not right after the start, once a minute later, not again before the
// next minute is full (exact boundary), and the store keeps the time.
func TestActivityThrottledPerSession(t *testing.T) {
	c := newClock()
	s, ts := newTouchSessions(t, c)
	iss := start(t, s, agentParams())
	validate := func() {
		t.Helper()
		if _, err := s.Authenticate(t.Context(), iss.AccessToken); err != nil {
			t.Fatalf("authenticate: %v", err)
		}
		s.WaitActivity()
	}
	validate()
	if n := len(ts.touches()); n != 0 {
		t.Fatalf("%d touches right after the start", n)
	}
	c.Set(time.Minute)
	for range 50 {
		validate()
	}
	if got := ts.touches(); len(got) != 1 || !got[0].Equal(t0.Add(time.Minute)) {
		t.Fatalf("touches after a minute of use = %v, want one at %v", got, t0.Add(time.Minute))
	}
	c.Set(2*time.Minute - time.Millisecond)
	validate()
	if n := len(ts.touches()); n != 1 {
		t.Fatalf("touched again %d times before the interval was full", n-1)
	}
	c.Set(2 * time.Minute)
	validate()
	if n := len(ts.touches()); n != 2 {
		t.Fatalf("%d touches at exactly one interval later, want 2", n)
	}
	sess, err := ts.GetSession(t.Context(), iss.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !sess.LastSeenAt.Equal(t0.Add(2 * time.Minute)) {
		t.Errorf("stored LastSeenAt = %v, want %v", sess.LastSeenAt, t0.Add(2*time.Minute))
	}
}

// A hundred concurrent uses of one session in a new minute write once.
func TestActivityConcurrentUsesWriteOnce(t *testing.T) {
	c := newClock()
	s, ts := newTouchSessions(t, c)
	iss := start(t, s, agentParams())
	c.Set(time.Minute)
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Authenticate(context.Background(), iss.AccessToken); err != nil {
				t.Errorf("authenticate: %v", err)
			}
		}()
	}
	wg.Wait()
	s.WaitActivity()
	if n := len(ts.touches()); n != 1 {
		t.Fatalf("%d touches for 100 concurrent uses, want 1", n)
	}
}

// Visitor sessions and rejected tokens write nothing; a negative interval
// turns activity off.
func TestActivitySkipsVisitorsAndRejections(t *testing.T) {
	c := newClock()
	s, ts := newTouchSessions(t, c)
	vis := start(t, s, StartParams{OrgID: "org_1", Kind: storage.SubjectVisitor, SubjectID: "vis_1"})
	agent := start(t, s, agentParams())
	if err := s.Revoke(t.Context(), agent.Session.ID); err != nil {
		t.Fatal(err)
	}
	c.Set(time.Hour - time.Second)
	_, _ = s.Authenticate(t.Context(), vis.AccessToken)
	_, _ = s.Authenticate(t.Context(), agent.AccessToken)
	s.WaitActivity()
	if n := len(ts.touches()); n != 0 {
		t.Fatalf("%d touches for a visitor and a revoked session", n)
	}

	off, err := NewSessions(SessionsConfig{Store: ts, Sealer: testSealer(), Now: c.Now, TouchInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	iss := start(t, off, agentParams())
	c.Set(time.Hour + time.Minute)
	if _, err := off.Authenticate(t.Context(), iss.AccessToken); err != nil {
		t.Fatal(err)
	}
	off.WaitActivity()
	if n := len(ts.touches()); n != 0 {
		t.Fatalf("%d touches with activity off", n)
	}
}

// BenchmarkValidateHashCachedWithActivity is the per-frame check of a
// WebSocket connection with activity tracking on: a cache hit plus the
// throttle's shared-lock read, no allocation, no store write.
func BenchmarkValidateHashCachedWithActivity(b *testing.B) {
	c := newClock()
	raw, _ := openStore(b)
	s := newSessions(b, &touchStore{SessionStore: raw, inner: raw}, c)
	iss := start(b, s, agentParams())
	hash := HashToken(iss.AccessToken)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.ValidateHash(ctx, hash); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	s.WaitActivity()
}
