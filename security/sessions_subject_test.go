package security

import (
	"context"
	"slices"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// RevokeSubject revokes every live session of the subject but the one
// spared, tells the listeners of each, and leaves other subjects alone.
func TestRevokeSubjectSparesExceptAndOthers(t *testing.T) {
	ctx := context.Background()
	store, _ := openStore(t)
	s := newSessions(t, store, newClock())
	var rec revokeRecorder
	s.OnRevoke(rec.record)
	keep := start(t, s, agentParams())
	gone1 := start(t, s, agentParams())
	gone2 := start(t, s, agentParams())
	other := agentParams()
	other.SubjectID = "agt_2"
	bystander := start(t, s, other)

	n, err := s.RevokeSubject(ctx, "org_1", storage.SubjectAgent, "agt_1", keep.Session.ID)
	if err != nil || n != 2 {
		t.Fatalf("RevokeSubject = %d, %v; want 2", n, err)
	}
	for _, iss := range []Issued{gone1, gone2} {
		if _, err := s.Authenticate(ctx, iss.AccessToken); err == nil {
			t.Fatalf("revoked session still authenticates: %v", err)
		}
	}
	for _, iss := range []Issued{keep, bystander} {
		if _, err := s.Authenticate(ctx, iss.AccessToken); err != nil {
			t.Fatalf("spared session refused: %v", err)
		}
	}
	got := rec.got()
	slices.Sort(got)
	want := []string{gone1.Session.ID, gone2.Session.ID}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("listeners told %v, want %v", got, want)
	}
	// Again: nothing live is left but the spared one.
	if n, err := s.RevokeSubject(ctx, "org_1", storage.SubjectAgent, "agt_1", ""); err != nil || n != 1 {
		t.Fatalf("second RevokeSubject = %d, %v; want 1 (the spared one)", n, err)
	}
}
