package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var sessionCases = []testCase{
	{"Sessions", testSessions},
	{"CreateSessionIsAtomic", testCreateSessionAtomic},
	{"CreateSessionRehash", testCreateSessionRehash},
	{"RotateRefresh", testRotateRefresh},
	{"RotateRefreshConcurrent", testRotateConcurrent},
	{"RotateRefreshRevoked", testRotateRevoked},
	{"RevokeSession", testRevokeSession},
	{"ListSessions", testListSessions},
	{"TouchSession", testTouchSession},
	{"DeleteExpiredTokens", testDeleteExpiredTokens},
	{"RotateRefreshStoresSealedSuccessor", testRotateStoresSuccessor},
	{"RevokeSessionRemovesSealedSuccessors", testRevokeRemovesSuccessors},
	{"DeleteExpiredTokensRemovesSealedSuccessors", testSweepRemovesSuccessors},
}

// agentSession returns a session start for the tenant's owner with
// generation-1 tokens; token hashes derive from the session id.
func agentSession(tn tenant, id string, sec int) storage.SessionStart {
	return storage.SessionStart{
		Session: storage.Session{ID: id, OrgID: tn.org.ID, SubjectKind: storage.SubjectAgent,
			SubjectID: tn.owner.ID, RememberMe: true, IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11)",
			Generation: 1, CreatedAt: at(sec), LastSeenAt: at(sec)},
		Access: storage.AccessToken{Hash: hash(id + "/access/1"), SessionID: id, ExpiresAt: at(sec + 3600)},
		Refresh: &storage.RefreshToken{Hash: hash(id + "/refresh/1"), SessionID: id, Generation: 1,
			ExpiresAt: at(sec + 86400)},
	}
}

// rotation returns the rotation of session id's refresh token of
// generation gen-1 to gen, at sec; variant distinguishes racing attempts.
func rotation(id string, gen int64, sec int, variant string) storage.Rotation {
	return storage.Rotation{
		OldHash: hash(fmt.Sprintf("%s/refresh/%d", id, gen-1)),
		At:      at(sec),
		Next: storage.RefreshToken{Hash: hash(fmt.Sprintf("%s/refresh/%d%s", id, gen, variant)), SessionID: id,
			Generation: gen, ExpiresAt: at(sec + 86400)},
		Access: storage.AccessToken{Hash: hash(fmt.Sprintf("%s/access/%d%s", id, gen, variant)), SessionID: id,
			ExpiresAt: at(sec + 3600)},
	}
}

func testSessions(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	st := agentSession(tn, "ses_1", 10)
	ok(t, s.CreateSession(ctx(t), st), "create session")
	got, err := s.GetSession(ctx(t), st.Session.ID)
	ok(t, err, "get session")
	same(t, got, st.Session, "session")
	grant, err := s.GetAccessGrant(ctx(t), st.Access.Hash)
	ok(t, err, "get access grant")
	same(t, grant, storage.AccessGrant{TokenHash: st.Access.Hash, ExpiresAt: st.Access.ExpiresAt, Session: st.Session}, "grant")
	refresh, err := s.GetRefreshToken(ctx(t), st.Refresh.Hash)
	ok(t, err, "get refresh token")
	same(t, refresh, *st.Refresh, "refresh token")

	vis := storage.SessionStart{
		Session: storage.Session{ID: "ses_vis", OrgID: tn.org.ID, SubjectKind: storage.SubjectVisitor,
			SubjectID: tn.visitor.ID, IP: "198.51.100.1", CreatedAt: at(20), LastSeenAt: at(20)},
		Access: storage.AccessToken{Hash: hash("ses_vis/access"), SessionID: "ses_vis", ExpiresAt: at(3620)},
	}
	ok(t, s.CreateSession(ctx(t), vis), "create visitor session without refresh token")
	grant, err = s.GetAccessGrant(ctx(t), vis.Access.Hash)
	ok(t, err, "get visitor grant")
	same(t, grant.Session, vis.Session, "visitor session")

	_, err = s.GetSession(ctx(t), "ses_missing")
	wantErr(t, err, storage.ErrNotFound, "unknown session")
	_, err = s.GetAccessGrant(ctx(t), hash("unknown"))
	wantErr(t, err, storage.ErrNotFound, "unknown access hash")
	_, err = s.GetRefreshToken(ctx(t), hash("unknown"))
	wantErr(t, err, storage.ErrNotFound, "unknown refresh hash")
	_, err = s.GetRefreshToken(ctx(t), st.Access.Hash)
	wantErr(t, err, storage.ErrNotFound, "an access hash is not a refresh token")
}

func testCreateSessionAtomic(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	first := agentSession(tn, "ses_1", 10)
	ok(t, s.CreateSession(ctx(t), first), "create session")
	dup := agentSession(tn, "ses_1", 20)
	wantErr(t, s.CreateSession(ctx(t), dup), storage.ErrConflict, "duplicate session id")

	reuse := agentSession(tn, "ses_2", 30)
	reuse.Refresh.Hash = first.Refresh.Hash
	wantErr(t, s.CreateSession(ctx(t), reuse), storage.ErrConflict, "refresh hash already stored")
	_, err := s.GetSession(ctx(t), "ses_2")
	wantErr(t, err, storage.ErrNotFound, "session of a failed create")
	_, err = s.GetAccessGrant(ctx(t), reuse.Access.Hash)
	wantErr(t, err, storage.ErrNotFound, "access token of a failed create")
}

func testCreateSessionRehash(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	st := agentSession(tn, "ses_1", 10)
	st.RehashPassword = &storage.PasswordRehash{OrgID: tn.org.ID, AgentID: tn.owner.ID, NewHash: "$argon2id$v=19$new"}
	ok(t, s.CreateSession(ctx(t), st), "create session with rehash")
	owner, err := s.GetAgent(ctx(t), tn.org.ID, tn.owner.ID)
	ok(t, err, "get owner")
	if owner.PasswordHash != "$argon2id$v=19$new" {
		t.Errorf("password hash after rehash = %q", owner.PasswordHash)
	}

	bad := agentSession(tn, "ses_2", 20)
	bad.RehashPassword = &storage.PasswordRehash{OrgID: "org_other", AgentID: tn.owner.ID, NewHash: "$argon2id$v=19$evil"}
	if err := s.CreateSession(ctx(t), bad); err == nil {
		t.Errorf("create session rehashing an agent of another org: no error")
	}
	_, err = s.GetSession(ctx(t), "ses_2")
	wantErr(t, err, storage.ErrNotFound, "session whose rehash failed")
	owner, err = s.GetAgent(ctx(t), tn.org.ID, tn.owner.ID)
	ok(t, err, "get owner again")
	if owner.PasswordHash != "$argon2id$v=19$new" {
		t.Errorf("password hash changed by a failed create: %q", owner.PasswordHash)
	}
}

func testRotateRefresh(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	st := agentSession(tn, "ses_1", 10)
	ok(t, s.CreateSession(ctx(t), st), "create session")
	r := rotation("ses_1", 2, 100, "")
	ok(t, s.RotateRefresh(ctx(t), r), "rotate")

	old, err := s.GetRefreshToken(ctx(t), r.OldHash)
	ok(t, err, "get old refresh token")
	want := *st.Refresh
	want.RotatedAt = at(100)
	same(t, old, want, "old token marked rotated")
	next, err := s.GetRefreshToken(ctx(t), r.Next.Hash)
	ok(t, err, "get next refresh token")
	same(t, next, r.Next, "next refresh token")
	grant, err := s.GetAccessGrant(ctx(t), r.Access.Hash)
	ok(t, err, "get new access grant")
	if grant.Session.Generation != 2 || !grant.ExpiresAt.Equal(r.Access.ExpiresAt) {
		t.Errorf("new grant: generation %d expires %v", grant.Session.Generation, grant.ExpiresAt)
	}

	replay := rotation("ses_1", 2, 200, "-replay")
	wantErr(t, s.RotateRefresh(ctx(t), replay), storage.ErrConflict, "rotate an already rotated token")
	_, err = s.GetRefreshToken(ctx(t), replay.Next.Hash)
	wantErr(t, err, storage.ErrNotFound, "successor of a refused rotation")
	_, err = s.GetAccessGrant(ctx(t), replay.Access.Hash)
	wantErr(t, err, storage.ErrNotFound, "access token of a refused rotation")

	ok(t, s.RotateRefresh(ctx(t), rotation("ses_1", 3, 300, "")), "rotate the successor")
	sess, err := s.GetSession(ctx(t), "ses_1")
	ok(t, err, "get session")
	if sess.Generation != 3 {
		t.Errorf("generation after two rotations = %d, want 3", sess.Generation)
	}
	wantErr(t, s.RotateRefresh(ctx(t), rotation("ses_unknown", 2, 400, "")), storage.ErrNotFound, "rotate an unknown token")
}

// testRotateConcurrent: of 20 racing rotations of one token exactly one wins.
func testRotateConcurrent(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	ok(t, s.CreateSession(ctx(t), agentSession(tn, "ses_1", 10)), "create session")
	const racers = 20
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { errs[i] = s.RotateRefresh(ctx(t), rotation("ses_1", 2, 100, fmt.Sprint("-", i))) })
	}
	wg.Wait()
	winners, stored := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, storage.ErrConflict):
			t.Errorf("racer %d: got %v, want nil or ErrConflict", i, err)
		}
		if _, err := s.GetRefreshToken(ctx(t), rotation("ses_1", 2, 100, fmt.Sprint("-", i)).Next.Hash); err == nil {
			stored++
			if errs[i] != nil {
				t.Errorf("racer %d lost but its successor is stored", i)
			}
		}
	}
	if winners != 1 || stored != 1 {
		t.Errorf("winners %d, stored successors %d; want exactly 1 and 1", winners, stored)
	}
	sess, err := s.GetSession(ctx(t), "ses_1")
	ok(t, err, "get session")
	if sess.Generation != 2 {
		t.Errorf("generation = %d, want 2", sess.Generation)
	}
}

func testRotateRevoked(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	ok(t, s.CreateSession(ctx(t), agentSession(tn, "ses_1", 10)), "create session")
	ok(t, s.RevokeSession(ctx(t), "ses_1", at(50)), "revoke")
	r := rotation("ses_1", 2, 100, "")
	wantErr(t, s.RotateRefresh(ctx(t), r), storage.ErrConflict, "rotate a token of a revoked session")
	_, err := s.GetRefreshToken(ctx(t), r.Next.Hash)
	wantErr(t, err, storage.ErrNotFound, "successor of a refused rotation")
	old, err := s.GetRefreshToken(ctx(t), r.OldHash)
	ok(t, err, "get old token")
	if old.Rotated() {
		t.Errorf("refused rotation marked the old token rotated")
	}
	sess, err := s.GetSession(ctx(t), "ses_1")
	ok(t, err, "get session")
	if sess.Generation != 1 {
		t.Errorf("generation after a refused rotation = %d, want 1", sess.Generation)
	}
}

func testRevokeSession(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	st := agentSession(tn, "ses_1", 10)
	ok(t, s.CreateSession(ctx(t), st), "create session")
	ok(t, s.RevokeSession(ctx(t), "ses_1", at(50)), "revoke")
	ok(t, s.RevokeSession(ctx(t), "ses_1", at(60)), "revoke again")
	grant, err := s.GetAccessGrant(ctx(t), st.Access.Hash)
	ok(t, err, "grant of a revoked session is still returned")
	want := st.Session
	want.RevokedAt = at(50)
	same(t, grant.Session, want, "revoked session keeps the first time")
	if !grant.Session.Revoked() {
		t.Errorf("grant session not revoked")
	}
	wantErr(t, s.RevokeSession(ctx(t), "ses_missing", at(50)), storage.ErrNotFound, "revoke unknown")
}

func testListSessions(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	for i, id := range []string{"ses_1", "ses_2", "ses_3"} {
		ok(t, s.CreateSession(ctx(t), agentSession(tn, id, 10*(i+1))), "create "+id)
	}
	ok(t, s.RevokeSession(ctx(t), "ses_2", at(100)), "revoke ses_2")
	colleague := agentSession(tn, "ses_colleague", 40)
	colleague.Session.SubjectID = "agt_colleague"
	ok(t, s.CreateSession(ctx(t), colleague), "create colleague session")
	visitor := agentSession(tn, "ses_visitor", 50)
	visitor.Session.SubjectKind = storage.SubjectVisitor // same subject id, other kind
	ok(t, s.CreateSession(ctx(t), visitor), "create visitor session")

	list, err := s.ListSessions(ctx(t), tn.org.ID, storage.SubjectAgent, tn.owner.ID)
	ok(t, err, "list sessions")
	sameList(t, ids(list, func(s storage.Session) string { return s.ID }), []string{"ses_3", "ses_2", "ses_1"}, "sessions newest first")
	if len(list) == 3 && !list[1].Revoked() {
		t.Errorf("revoked session listed as active")
	}
}

func testTouchSession(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	ok(t, s.CreateSession(ctx(t), agentSession(tn, "ses_1", 10)), "create session")
	ok(t, s.TouchSession(ctx(t), "ses_1", at(500)), "touch")
	sess, err := s.GetSession(ctx(t), "ses_1")
	ok(t, err, "get session")
	if !sess.LastSeenAt.Equal(at(500)) {
		t.Errorf("LastSeenAt = %v, want %v", sess.LastSeenAt, at(500))
	}
	wantErr(t, s.TouchSession(ctx(t), "ses_missing", at(500)), storage.ErrNotFound, "touch unknown")
}

func testDeleteExpiredTokens(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	old := agentSession(tn, "ses_old", 0)      // access expires at 3600, refresh at 86400
	young := agentSession(tn, "ses_young", 50) // access expires at 3650, refresh at 86450
	ok(t, s.CreateSession(ctx(t), old), "create old")
	ok(t, s.CreateSession(ctx(t), young), "create young")

	n, err := s.DeleteExpiredTokens(ctx(t), at(3650)) // strictly before: young's access stays
	ok(t, err, "delete expired")
	if n != 1 {
		t.Errorf("deleted %d tokens, want 1", n)
	}
	_, err = s.GetAccessGrant(ctx(t), old.Access.Hash)
	wantErr(t, err, storage.ErrNotFound, "expired access token")
	_, err = s.GetAccessGrant(ctx(t), young.Access.Hash)
	ok(t, err, "access token expiring exactly at the cutoff")
	_, err = s.GetRefreshToken(ctx(t), old.Refresh.Hash)
	ok(t, err, "unexpired refresh token")

	n, err = s.DeleteExpiredTokens(ctx(t), at(90000))
	ok(t, err, "delete all expired")
	if n != 3 {
		t.Errorf("deleted %d tokens, want 3", n)
	}
	_, err = s.GetSession(ctx(t), "ses_old")
	ok(t, err, "session outlives its tokens")
}
