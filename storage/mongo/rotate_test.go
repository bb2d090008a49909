package mongo

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
)

func tokenHash(name string) []byte {
	h := make([]byte, 32)
	copy(h, name)
	return h
}

func startSession(t *testing.T, s *Store) storage.SessionStart {
	t.Helper()
	st := storage.SessionStart{
		Session: storage.Session{ID: "ses_1", OrgID: "org_1", SubjectKind: storage.SubjectAgent,
			SubjectID: "agt_1", Generation: 1, CreatedAt: at(1)},
		Access:  storage.AccessToken{Hash: tokenHash("access-1"), ExpiresAt: at(3600)},
		Refresh: &storage.RefreshToken{Hash: tokenHash("refresh-1"), Generation: 1, ExpiresAt: at(86400)},
	}
	if err := s.CreateSession(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRotationLosersSeeTheWinner races rotations of one token from two
// Stores and checks that every loser, when it returns ErrConflict, already
// sees the old token rotated, the session at the new generation and the
// winner's successor: what the security layer reads to hand the winner's
// tokens to concurrent tabs.
func TestRotationLosersSeeTheWinner(t *testing.T) {
	uri, db := testsvc.MongoURI(t), testsvc.MongoDatabase(t)
	nodes := []*Store{openOn(t, uri, db), openOn(t, uri, db)}
	defer nodes[0].Close()
	defer nodes[1].Close()
	seedConversation(t, nodes[0])
	st := startSession(t, nodes[0])
	const racers = 10
	rotation := func(i int) storage.Rotation {
		return storage.Rotation{OldHash: st.Refresh.Hash, At: at(100),
			Next:   storage.RefreshToken{Hash: tokenHash(fmt.Sprint("refresh-2-", i)), Generation: 2, ExpiresAt: at(90000)},
			Access: storage.AccessToken{Hash: tokenHash(fmt.Sprint("access-2-", i)), ExpiresAt: at(3700)}}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := range racers {
		s := nodes[i%2]
		wg.Go(func() {
			err := s.RotateRefresh(t.Context(), rotation(i))
			if err == nil {
				mu.Lock()
				winners++
				mu.Unlock()
				return
			}
			if !errors.Is(err, storage.ErrConflict) {
				t.Errorf("racer %d: %v, want nil or ErrConflict", i, err)
				return
			}
			checkRotated(t, s, st.Refresh.Hash, fmt.Sprint("racer ", i))
		})
	}
	wg.Wait()
	if winners != 1 {
		t.Errorf("%d winners, want 1", winners)
	}
}

// checkRotated fails unless the token with hash old is rotated into
// generation 2 with a stored successor.
func checkRotated(t *testing.T, s *Store, old []byte, who string) {
	t.Helper()
	tok, err := s.GetRefreshToken(t.Context(), old)
	if err != nil || !tok.Rotated() {
		t.Errorf("%s lost, but the old token is rotated %v (err %v)", who, tok.Rotated(), err)
		return
	}
	sess, err := s.GetSession(t.Context(), tok.SessionID)
	if err != nil || sess.Generation != 2 {
		t.Errorf("%s lost, but the session's generation is %d (err %v), want 2", who, sess.Generation, err)
	}
	n, err := s.coll(collRefresh).CountDocuments(t.Context(), sessionRefreshFilter(tok.SessionID, 2))
	if err != nil || n != 1 {
		t.Errorf("%s lost: %d successors of generation 2 stored (err %v), want 1", who, n, err)
	}
}

// TestFailedRotationLeavesNothing makes the winner's successor insert fail
// (its hash is taken) and checks the claim is released: the token can
// still be rotated.
func TestFailedRotationLeavesNothing(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	seedConversation(t, s)
	st := startSession(t, s)
	bad := storage.Rotation{OldHash: st.Refresh.Hash, At: at(100),
		Next:   storage.RefreshToken{Hash: st.Refresh.Hash, Generation: 2, ExpiresAt: at(90000)}, // taken
		Access: storage.AccessToken{Hash: tokenHash("access-2"), ExpiresAt: at(3700)}}
	wantConflict(t, s.RotateRefresh(t.Context(), bad), "rotation onto a taken hash")
	if _, err := s.GetAccessGrant(t.Context(), bad.Access.Hash); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("access token of a failed rotation: %v, want ErrNotFound", err)
	}
	good := bad
	good.Next.Hash = tokenHash("refresh-2")
	if err := s.RotateRefresh(t.Context(), good); err != nil {
		t.Fatalf("rotate after a failed attempt: %v", err)
	}
	checkRotated(t, s, st.Refresh.Hash, "the retry")
}

func TestDeleteExpiredTokensSweepsClaims(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	seedConversation(t, s)
	st := startSession(t, s)
	r := storage.Rotation{OldHash: st.Refresh.Hash, At: at(100),
		Next:   storage.RefreshToken{Hash: tokenHash("refresh-2"), Generation: 2, ExpiresAt: at(200000)},
		Access: storage.AccessToken{Hash: tokenHash("access-2"), ExpiresAt: at(200000)}}
	if err := s.RotateRefresh(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteExpiredTokens(t.Context(), at(100000)) // access-1 and refresh-1
	if err != nil || n != 2 {
		t.Fatalf("deleted %d tokens (err %v), want 2", n, err)
	}
	left, err := s.coll(collClaims).CountDocuments(t.Context(), byID(tokenID(st.Refresh.Hash)))
	if err != nil || left != 0 {
		t.Errorf("claims left for the deleted token: %d (err %v)", left, err)
	}
}

func sessionRefreshFilter(sessionID string, generation int64) bson.D {
	return bson.D{{Key: "session_id", Value: sessionID}, {Key: "generation", Value: generation}}
}

// A rotation interrupted between its claim and its marking (the store went
// away, so the undo could not delete the claim) must not spend the token:
// a retry answers ErrUnavailable (retry), never ErrConflict, while the
// claim may still be live, and takes the abandoned claim over once it is
// older than staleClaimAfter. Without the takeover the token answered
// ErrConflict forever and both tokens were dead (chaos case F4).
func TestAbandonedClaimIsTakenOver(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	seedConversation(t, s)
	st := startSession(t, s)
	abandoned := claimDoc{ID: tokenID(st.Refresh.Hash), SessionID: "ses_1", At: at(100), ExpiresAt: at(86400)}
	if _, err := s.coll(collClaims).InsertOne(t.Context(), abandoned); err != nil {
		t.Fatal(err)
	}
	rotation := func(sec int, name string) storage.Rotation {
		return storage.Rotation{OldHash: st.Refresh.Hash, At: at(sec),
			Next:   storage.RefreshToken{Hash: tokenHash("refresh-" + name), Generation: 2, ExpiresAt: at(90000)},
			Access: storage.AccessToken{Hash: tokenHash("access-" + name), ExpiresAt: at(3700)}}
	}
	err := s.RotateRefresh(t.Context(), rotation(105, "early"))
	if !errors.Is(err, storage.ErrUnavailable) || errors.Is(err, storage.ErrConflict) {
		t.Fatalf("retry while the claim may be live: %v, want ErrUnavailable only", err)
	}
	if _, err := s.GetRefreshToken(t.Context(), tokenHash("refresh-early")); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the refused retry stored its successor: %v", err)
	}
	if err := s.RotateRefresh(t.Context(), rotation(100+int(staleClaimAfter.Seconds()), "late")); err != nil {
		t.Fatalf("retry after the claim went stale: %v, want the rotation", err)
	}
	checkRotated(t, s, st.Refresh.Hash, "after the takeover")
	if err := s.RotateRefresh(t.Context(), rotation(200, "again")); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("rotating the rotated token again: %v, want ErrConflict", err)
	}
}
