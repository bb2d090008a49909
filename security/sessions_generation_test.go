package security

import (
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// A rotation interrupted on a store without transactions can leave the
// session's generation raised while its refresh token stays unrotated
// (chaos case F4). The retried rotation's successor follows the token's
// generation, so the old token stays exactly one generation behind: a
// second tab presenting it within the grace window gets the same pair,
// not a revoked session. (Before, the successor took the session's
// generation + 1, two ahead of the old token, and the replay read as
// reuse.)
func TestRetryAfterRaisedGenerationKeepsTheGraceWindow(t *testing.T) {
	c := newClock()
	store, _ := openStore(t)
	old, _ := NewToken(RefreshPrefix)
	rh := HashToken(old)
	_, ah := NewToken(AccessPrefix)
	sess := storage.Session{ID: "ses_raised", OrgID: "org_1", SubjectKind: storage.SubjectAgent, SubjectID: "agt_1",
		Generation: 2, CreatedAt: t0, LastSeenAt: t0} // raised by the interrupted rotation
	err := store.CreateSession(t.Context(), storage.SessionStart{Session: sess,
		Access:  storage.AccessToken{Hash: ah[:], SessionID: sess.ID, ExpiresAt: t0.Add(time.Hour)},
		Refresh: &storage.RefreshToken{Hash: rh[:], SessionID: sess.ID, Generation: 1, ExpiresAt: t0.Add(24 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSessions(SessionsConfig{Store: store, Sealer: testSealer(), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	c.Set(time.Minute)
	first := refresh(t, s, old)
	c.Set(time.Minute + 10*time.Second) // another tab, within the grace window
	again, err := s.Refresh(t.Context(), old)
	if err != nil {
		t.Fatalf("the old token within the grace window: %v, want the same pair", err)
	}
	if again.RefreshToken != first.RefreshToken || again.AccessToken != first.AccessToken {
		t.Error("the old token within the grace window got a different pair")
	}
	if next := refresh(t, s, first.RefreshToken); next.RefreshToken == "" {
		t.Error("the successor does not rotate")
	}
}
