package security

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// rawDB opens the SQLite file at path directly, to read and tamper with
// rows behind the store's back.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// rawSuccessor returns the successor columns of the refresh token's row.
func rawSuccessor(t *testing.T, db *sql.DB, token string) (sealed sql.NullString, until sql.NullInt64) {
	t.Helper()
	h := HashToken(token)
	err := db.QueryRowContext(t.Context(), "SELECT successor, successor_until FROM refresh_tokens WHERE hash = ?", h[:]).
		Scan(&sealed, &until)
	if err != nil {
		t.Fatalf("read refresh row: %v", err)
	}
	return sealed, until
}

// fixedStart stores an agent session whose refresh token is exactly tok.
func fixedStart(t *testing.T, store SessionStore, id, tok string) {
	t.Helper()
	rh := HashToken(tok)
	_, ah := NewToken(AccessPrefix)
	sess := storage.Session{ID: id, OrgID: "org_1", SubjectKind: storage.SubjectAgent, SubjectID: "agt_1",
		Generation: 1, CreatedAt: t0, LastSeenAt: t0}
	err := store.CreateSession(t.Context(), storage.SessionStart{Session: sess,
		Access:  storage.AccessToken{Hash: ah[:], SessionID: id, ExpiresAt: t0.Add(time.Hour)},
		Refresh: &storage.RefreshToken{Hash: rh[:], SessionID: id, Generation: 1, ExpiresAt: t0.Add(24 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
}

// The attack of item 11: whoever holds the session secret and one old
// refresh token computed its live successor. Now the successor is not a
// function of them: two sessions rotated from identical inputs (same
// secret, same session id, same old token, same instant) get different
// tokens, and neither is what the old HMAC derivation gives.
func TestSuccessorIsNotComputableFromSecretAndOldToken(t *testing.T) {
	old, _ := NewToken(RefreshPrefix)
	var got [2]Issued
	for i := range got {
		c := newClock()
		store, _ := openStore(t)
		fixedStart(t, store, "ses_same", old)
		s, err := NewSessions(SessionsConfig{Store: store, Sealer: testSealer(), Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		c.Set(time.Minute)
		got[i] = refresh(t, s, old)
	}
	if got[0].RefreshToken == got[1].RefreshToken || got[0].AccessToken == got[1].AccessToken {
		t.Fatal("identical inputs rotated into the same successor: it is computable from them")
	}
	for _, label := range []struct{ prefix, label, tok string }{
		{RefreshPrefix, "refresh", got[0].RefreshToken}, {AccessPrefix, "access", got[0].AccessToken},
	} {
		m := hmac.New(sha256.New, testSecret)
		m.Write([]byte(label.label + "\x00" + old))
		if label.tok == label.prefix+base64.RawURLEncoding.EncodeToString(m.Sum(nil)) {
			t.Fatalf("the %s successor is HMAC(secret, old token)", label.label)
		}
	}
}

// The rotated row holds the pair sealed (never in plaintext) until the end
// of the grace window, and the sweep removes it after; presenting the old
// token then is reuse.
func TestSealedSuccessorIsSweptAfterTheGraceWindow(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store, path := openStore(t)
	db := rawDB(t, path)
	s := newSessions(t, store, c)
	iss := start(t, s, agentParams())
	c.Set(time.Minute)
	next := refresh(t, s, iss.RefreshToken)

	sealed, until := rawSuccessor(t, db, iss.RefreshToken)
	if !sealed.Valid || !strings.HasPrefix(sealed.String, "hpe1:") || until.Int64 != t0.Add(2*time.Minute).UnixMilli() {
		t.Fatalf("rotated row: successor %v until %v; want a sealed envelope until rotation+60s", sealed.Valid, until)
	}
	for _, tok := range []string{next.RefreshToken, next.AccessToken} {
		if strings.Contains(sealed.String, tok[len(RefreshPrefix):]) {
			t.Fatal("a successor token is stored in plaintext")
		}
	}
	if n, err := store.DeleteExpiredTokens(ctx, t0.Add(2*time.Minute)); err != nil || n != 0 {
		t.Fatalf("sweep at the end of grace: %d, %v", n, err)
	}
	if sealed, _ := rawSuccessor(t, db, iss.RefreshToken); !sealed.Valid {
		t.Fatal("swept at exactly the end of the grace window, which still honours it")
	}
	c.Set(2*time.Minute + time.Second)
	if _, err := store.DeleteExpiredTokens(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}
	if sealed, until := rawSuccessor(t, db, iss.RefreshToken); sealed.Valid || until.Valid {
		t.Fatal("the sealed successor outlived the grace window after the sweep")
	}
	if _, err := s.Refresh(ctx, iss.RefreshToken); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("old token after the sweep: %v, want ErrRefreshReused", err)
	}
}

// A replay at grace+1s (no sweep in between) revokes the family, and the
// read that found it removes the sealed successor from the row.
func TestReplayPastGraceRevokesAndRemovesTheSealedSuccessor(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store, path := openStore(t)
	db := rawDB(t, path)
	s := newSessions(t, store, c)
	var rec revokeRecorder
	s.OnRevoke(rec.record)
	iss := start(t, s, agentParams())
	c.Set(time.Minute)
	next := refresh(t, s, iss.RefreshToken)
	c.Set(2*time.Minute + time.Second)
	if _, err := s.Refresh(ctx, iss.RefreshToken); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("replay at grace+1s: %v, want ErrRefreshReused", err)
	}
	assertFamilyRevoked(t, s, &rec, iss.Session.ID, iss.AccessToken, next.AccessToken)
	if sealed, until := rawSuccessor(t, db, iss.RefreshToken); sealed.Valid || until.Valid {
		t.Fatal("the sealed successor is still stored after the replay past grace")
	}
}

// A sealed successor copied to another session's rotated row does not
// open there: the request fails without handing out the other family's
// tokens and without revoking anything.
func TestSealedSuccessorMovedToAnotherRowDoesNotOpen(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store, path := openStore(t)
	db := rawDB(t, path)
	s := newSessions(t, store, c)
	var rec revokeRecorder
	s.OnRevoke(rec.record)
	a, b := start(t, s, agentParams()), start(t, s, agentParams())
	c.Set(time.Minute)
	refresh(t, s, a.RefreshToken)
	nextB := refresh(t, s, b.RefreshToken)
	aSealed, _ := rawSuccessor(t, db, a.RefreshToken)
	bh := HashToken(b.RefreshToken)
	if _, err := db.ExecContext(ctx, "UPDATE refresh_tokens SET successor = ? WHERE hash = ?", aSealed.String, bh[:]); err != nil {
		t.Fatal(err)
	}
	got, err := s.Refresh(ctx, b.RefreshToken)
	if !errors.Is(err, ErrNoSuccessor) || got.RefreshToken != "" {
		t.Fatalf("b's old token with a's sealed successor: %v, %v; want ErrNoSuccessor", got.RefreshToken, err)
	}
	if _, err := s.Authenticate(ctx, nextB.AccessToken); err != nil || len(rec.got()) != 0 {
		t.Fatalf("a refused blob disturbed the family: %v, revokes %v", err, rec.got())
	}
}

// The binding itself: a pair sealed for one row opens for no other hash,
// no other session.
func TestSuccessorSealIsBoundToHashAndSession(t *testing.T) {
	store, _ := openStore(t)
	s := newSessions(t, store, newClock())
	refreshTok, _ := NewToken(RefreshPrefix)
	accessTok, _ := NewToken(AccessPrefix)
	oldTok, _ := NewToken(RefreshPrefix)
	otherTok, _ := NewToken(RefreshPrefix)
	h, other := HashToken(oldTok), HashToken(otherTok)
	sealed, err := s.sealSuccessor(h, "ses_1", refreshTok, accessTok)
	if err != nil {
		t.Fatal(err)
	}
	if r, a, err := s.openSuccessor(h, "ses_1", sealed); err != nil || r != refreshTok || a != accessTok {
		t.Fatalf("open in place: %v", err)
	}
	for name, try := range map[string]func() error{
		"other hash":    func() error { _, _, err := s.openSuccessor(other, "ses_1", sealed); return err },
		"other session": func() error { _, _, err := s.openSuccessor(h, "ses_2", sealed); return err },
		"missing":       func() error { _, _, err := s.openSuccessor(h, "ses_1", ""); return err },
	} {
		if err := try(); !errors.Is(err, ErrNoSuccessor) {
			t.Errorf("%s: %v, want ErrNoSuccessor", name, err)
		}
	}
}
