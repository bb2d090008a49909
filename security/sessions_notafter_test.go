package security

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// A visitor session started from a chat token ends with the token: its
// expiry is NotAfter when that comes before now+VisitorTTL, exactly.
func TestStartVisitorNotAfterCapsExpiry(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	s := newSessions(t, store, c)
	p := StartParams{OrgID: "org_1", Kind: storage.SubjectVisitor, SubjectID: "vis_1", NotAfter: t0.Add(time.Hour)}
	iss := start(t, s, p)
	if !iss.AccessExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("expires %v, want the cap", iss.AccessExpiresAt)
	}
	c.Set(time.Hour - time.Millisecond)
	if _, err := s.Authenticate(context.Background(), iss.AccessToken); err != nil {
		t.Fatalf("1 ms before the cap: %v", err)
	}
	c.Set(time.Hour)
	if _, err := s.Authenticate(context.Background(), iss.AccessToken); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("at the cap: %v, want ErrTokenExpired", err)
	}
	c.Set(0)
	p.NotAfter = t0.Add(48 * time.Hour) // later than the TTL: the TTL wins
	if iss := start(t, s, p); !iss.AccessExpiresAt.Equal(t0.Add(24 * time.Hour)) {
		t.Fatalf("expires %v, want +24h", iss.AccessExpiresAt)
	}
	for name, bad := range map[string]StartParams{
		"in the past": {OrgID: "org_1", Kind: storage.SubjectVisitor, SubjectID: "vis_1", NotAfter: t0},
		"an agent":    {OrgID: "org_1", Kind: storage.SubjectAgent, SubjectID: "agt_1", NotAfter: t0.Add(time.Hour)},
	} {
		if _, err := s.Start(context.Background(), bad); err == nil {
			t.Errorf("%s: Start accepted NotAfter", name)
		}
	}
}
