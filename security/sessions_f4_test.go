package security

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// errStoreDied stands for the store going away in the middle of a call.
var errStoreDied = errors.New("store connection lost")

// dyingStore is a real store whose next RotateRefresh fails once: after
// committing it (the reply is lost) or before reaching the store.
type dyingStore struct {
	SessionStore
	commitFirst bool

	mu        sync.Mutex
	armed     bool
	committed storage.Rotation // what the lost-reply rotation wrote
}

func (d *dyingStore) RotateRefresh(ctx context.Context, r storage.Rotation) error {
	d.mu.Lock()
	fail := d.armed
	d.armed = false
	d.mu.Unlock()
	if !fail {
		return d.SessionStore.RotateRefresh(ctx, r)
	}
	if !d.commitFirst {
		return errStoreDied
	}
	if err := d.SessionStore.RotateRefresh(ctx, r); err != nil {
		return err
	}
	d.mu.Lock()
	d.committed = r
	d.mu.Unlock()
	return errStoreDied
}

// liveRefresh returns the hashes of the session's refresh tokens that are
// not rotated, from the raw rows.
func liveRefresh(t *testing.T, db *sql.DB, sessionID string) [][]byte {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT hash FROM refresh_tokens WHERE session_id = ? AND rotated_at IS NULL", sessionID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var live [][]byte
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		live = append(live, h)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return live
}

// F4: the store dies in the middle of a refresh rotation, after committing
// it (the reply is lost) or before. Either way the retry with the old
// token succeeds, exactly one refresh token of the family is live after
// it (the one the retry returned), a second tab within grace converges on
// it, and reuse detection still revokes the family after grace.
func TestRefreshSurvivesTheStoreDyingMidRotation(t *testing.T) {
	for _, tc := range []struct {
		name        string
		commitFirst bool
	}{{"reply lost after commit", true}, {"failed before commit", false}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClock()
			inner, path := openStore(t)
			db := rawDB(t, path)
			store := &dyingStore{SessionStore: inner, commitFirst: tc.commitFirst}
			s := newSessions(t, store, c)
			var rec revokeRecorder
			s.OnRevoke(rec.record)
			iss := start(t, s, agentParams())

			c.Set(time.Minute)
			store.armed = true
			if got, err := s.Refresh(ctx, iss.RefreshToken); !errors.Is(err, errStoreDied) || got.RefreshToken != "" {
				t.Fatalf("refresh while the store dies: %v, %v; want the store error and no tokens", got.RefreshToken, err)
			}
			c.Set(time.Minute + 5*time.Second) // the client retries
			retry, err := s.Refresh(ctx, iss.RefreshToken)
			if err != nil {
				t.Fatalf("retry with the old token: %v", err)
			}
			rh := HashToken(retry.RefreshToken)
			if tc.commitFirst && !bytes.Equal(rh[:], store.committed.Next.Hash) {
				t.Fatal("the retry after a lost reply did not get the pair the committed rotation stored")
			}
			if live := liveRefresh(t, db, iss.Session.ID); len(live) != 1 || !bytes.Equal(live[0], rh[:]) {
				t.Fatalf("%d live refresh tokens in the family, want exactly the retry's", len(live))
			}
			if tab := refresh(t, s, iss.RefreshToken); tab != retry {
				t.Fatal("another tab within grace got a different pair")
			}
			if _, err := s.Authenticate(ctx, retry.AccessToken); err != nil || len(rec.got()) != 0 {
				t.Fatalf("family after the retry: %v, revokes %v", err, rec.got())
			}

			c.Set(time.Minute + 5*time.Second + 61*time.Second) // past grace of either rotation
			if _, err := s.Refresh(ctx, iss.RefreshToken); !errors.Is(err, ErrRefreshReused) {
				t.Fatalf("old token after grace: %v, want ErrRefreshReused", err)
			}
			assertFamilyRevoked(t, s, &rec, iss.Session.ID, iss.AccessToken, retry.AccessToken)
		})
	}
}
