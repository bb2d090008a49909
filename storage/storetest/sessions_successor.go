package storetest

import (
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// sealedRotation is rotation with a sealed successor kept until untilSec.
func sealedRotation(id string, gen int64, sec int, sealed string, untilSec int) storage.Rotation {
	r := rotation(id, gen, sec, "")
	r.SealedSuccessor, r.SuccessorUntil = sealed, at(untilSec)
	return r
}

// successorOf returns the sealed successor and its end stored on the
// refresh token with hash h.
func successorOf(t *testing.T, s storage.Store, h []byte) storage.RefreshToken {
	t.Helper()
	tok, err := s.GetRefreshToken(ctx(t), h)
	ok(t, err, "get refresh token")
	return tok
}

// testRotateStoresSuccessor: the rotation writes the sealed successor on
// the old token's row with the rotation; a refused rotation changes none.
func testRotateStoresSuccessor(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	st := agentSession(tn, "ses_1", 10)
	ok(t, s.CreateSession(ctx(t), st), "create session")
	if got := successorOf(t, s, st.Refresh.Hash); got.SealedSuccessor != "" || !got.SuccessorUntil.IsZero() {
		t.Errorf("unrotated token has a successor: %q until %v", got.SealedSuccessor, got.SuccessorUntil)
	}
	r := sealedRotation("ses_1", 2, 100, "hpe1:pii:1:sealed-pair", 160)
	ok(t, s.RotateRefresh(ctx(t), r), "rotate")
	want := *st.Refresh
	want.RotatedAt, want.SealedSuccessor, want.SuccessorUntil = at(100), r.SealedSuccessor, at(160)
	same(t, successorOf(t, s, r.OldHash), want, "rotated token with its sealed successor")
	next := successorOf(t, s, r.Next.Hash)
	if next.SealedSuccessor != "" || !next.SuccessorUntil.IsZero() {
		t.Errorf("the successor itself has a sealed successor: %q", next.SealedSuccessor)
	}
	replay := sealedRotation("ses_1", 2, 120, "hpe1:pii:1:other-pair", 180)
	replay.Next.Hash, replay.Access.Hash = hash("replay/refresh"), hash("replay/access")
	wantErr(t, s.RotateRefresh(ctx(t), replay), storage.ErrConflict, "rotate again")
	same(t, successorOf(t, s, r.OldHash), want, "sealed successor after a refused rotation")
}

// testRevokeRemovesSuccessors: revoking a session removes the sealed
// successors of its tokens and of no other session's.
func testRevokeRemovesSuccessors(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	for _, id := range []string{"ses_1", "ses_2"} {
		ok(t, s.CreateSession(ctx(t), agentSession(tn, id, 10)), "create "+id)
		ok(t, s.RotateRefresh(ctx(t), sealedRotation(id, 2, 100, "sealed/"+id, 160)), "rotate "+id)
	}
	ok(t, s.RevokeSession(ctx(t), "ses_1", at(120)), "revoke ses_1")
	got := successorOf(t, s, hash("ses_1/refresh/1"))
	if got.SealedSuccessor != "" || !got.SuccessorUntil.IsZero() || !got.Rotated() {
		t.Errorf("revoked session's token: successor %q until %v rotated %v; want none, still rotated",
			got.SealedSuccessor, got.SuccessorUntil, got.Rotated())
	}
	if other := successorOf(t, s, hash("ses_2/refresh/1")); other.SealedSuccessor != "sealed/ses_2" {
		t.Errorf("another session's sealed successor = %q", other.SealedSuccessor)
	}
	ok(t, s.RevokeSession(ctx(t), "ses_1", at(130)), "revoke again")
}

// testSweepRemovesSuccessors: DeleteExpiredTokens removes the sealed
// successors whose end is strictly before its cutoff, keeping the rows.
func testSweepRemovesSuccessors(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	ok(t, s.CreateSession(ctx(t), agentSession(tn, "ses_1", 10)), "create ses_1")
	ok(t, s.CreateSession(ctx(t), agentSession(tn, "ses_2", 10)), "create ses_2")
	ok(t, s.RotateRefresh(ctx(t), sealedRotation("ses_1", 2, 100, "sealed/ses_1", 160)), "rotate ses_1")
	ok(t, s.RotateRefresh(ctx(t), sealedRotation("ses_2", 2, 110, "sealed/ses_2", 170)), "rotate ses_2")

	n, err := s.DeleteExpiredTokens(ctx(t), at(160))
	ok(t, err, "sweep at the first end")
	if n != 0 {
		t.Errorf("sweep at 160 deleted %d tokens, want 0", n)
	}
	if got := successorOf(t, s, hash("ses_1/refresh/1")); got.SealedSuccessor != "sealed/ses_1" {
		t.Errorf("successor ending exactly at the cutoff was removed")
	}
	_, err = s.DeleteExpiredTokens(ctx(t), at(161))
	ok(t, err, "sweep after the first end")
	got := successorOf(t, s, hash("ses_1/refresh/1"))
	if got.SealedSuccessor != "" || !got.SuccessorUntil.IsZero() || !got.Rotated() {
		t.Errorf("after its end: successor %q until %v rotated %v; want none, row kept",
			got.SealedSuccessor, got.SuccessorUntil, got.Rotated())
	}
	if other := successorOf(t, s, hash("ses_2/refresh/1")); other.SealedSuccessor != "sealed/ses_2" {
		t.Errorf("successor ending later was removed: %q", other.SealedSuccessor)
	}
}
