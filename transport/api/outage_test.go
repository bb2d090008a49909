package api

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// outageSessions is a session store that can become unreachable: while
// down is set every call goes to a real SQLite store that has been closed,
// so Sessions meets the backend's real error through its real mapping.
type outageSessions struct {
	live security.SessionStore
	dead *sqlite.Store
	down atomic.Bool
}

func (o *outageSessions) pick() security.SessionStore {
	if o.down.Load() {
		return o.dead
	}
	return o.live
}

func (o *outageSessions) CreateSession(ctx context.Context, s storage.SessionStart) error {
	return o.pick().CreateSession(ctx, s)
}

func (o *outageSessions) GetSession(ctx context.Context, id string) (storage.Session, error) {
	return o.pick().GetSession(ctx, id)
}

func (o *outageSessions) GetAccessGrant(ctx context.Context, hash []byte) (storage.AccessGrant, error) {
	return o.pick().GetAccessGrant(ctx, hash)
}

func (o *outageSessions) GetRefreshToken(ctx context.Context, hash []byte) (storage.RefreshToken, error) {
	return o.pick().GetRefreshToken(ctx, hash)
}

func (o *outageSessions) RotateRefresh(ctx context.Context, r storage.Rotation) error {
	return o.pick().RotateRefresh(ctx, r)
}

func (o *outageSessions) RevokeSession(ctx context.Context, id string, at time.Time) error {
	return o.pick().RevokeSession(ctx, id, at)
}

// newOutageEnv is newEnv whose sessions run on an outageSessions and trust
// a cached grant for cacheAge (as in a cluster).
func newOutageEnv(t *testing.T, cacheAge time.Duration) (*env, *outageSessions) {
	t.Helper()
	dead, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gone.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := dead.Close(); err != nil {
		t.Fatal(err)
	}
	o := &outageSessions{dead: dead}
	e := newEnv(t, func(c *Config) {
		o.live = c.Store.(*security.SealedStore)
		s, err := security.NewSessions(security.SessionsConfig{Store: o,
			Now: c.Now, CacheMaxAge: cacheAge})
		if err != nil {
			t.Fatal(err)
		}
		c.Sessions = s
	})
	return e, o
}

// The finding: with the store down, agents were told 401 ("sign in again")
// although their sessions were valid. A route that validates a token now
// answers 503 unavailable, a refresh answers 503 and revokes, rotates and
// clears nothing, one warning is logged without the token, and after the
// store returns both tokens still work.
func TestStoreOutageAnswers503AndKeepsTheSession(t *testing.T) {
	e, o := newOutageEnv(t, 30*time.Second)
	owner, _ := e.seedOrg("Acme")
	tk, _ := e.login(owner.Email)

	o.down.Store(true)
	e.clock.Advance(31 * time.Second) // the cached grant is stale: the store must be asked
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 503, codeUnavailable)
	r := e.do("POST", "/rest/v1/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}).
		expect(t, 503, codeUnavailable)
	if len(r.resp.Cookies()) != 0 {
		t.Fatalf("a refresh the store could not answer touched cookies: %v", r.resp.Cookies())
	}
	logs := e.logs.String()
	if n := strings.Count(logs, "store unavailable: request refused"); n != 1 || !strings.Contains(logs, `"level":"warn"`) {
		t.Fatalf("want one rate-limited warning, got %d in:\n%s", n, logs)
	}
	if strings.Contains(logs, tk.AccessToken) || strings.Contains(logs, tk.RefreshToken) {
		t.Fatal("a token reached the log")
	}
	if strings.Contains(logs, `"message":"request failed"`) {
		t.Fatal("the outage was also logged as an error per request")
	}

	o.down.Store(false)
	e.do("GET", "/rest/v1/me", nil, bearer(tk.AccessToken)).expect(t, 200, "")
	e.do("POST", "/rest/v1/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}).expect(t, 200, "")
}

func (o *outageSessions) ListSessions(ctx context.Context, orgID string, kind storage.SubjectKind, subjectID string) ([]storage.Session, error) {
	return o.pick().ListSessions(ctx, orgID, kind, subjectID)
}
