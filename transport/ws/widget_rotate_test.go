package ws

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// A rotated-out widget key opens the socket only until the rotation's
// overlap ends (the server's clock, exactly); the new key always does.
func TestRotatedWidgetKeyUntilOverlapEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	sessions, err := security.NewSessions(security.SessionsConfig{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	org := storage.Organization{ID: storage.NewID("org"), Name: "Acme", CreatedAt: now}
	owner := storage.Agent{ID: storage.NewID("agt"), OrgID: org.ID, Name: "Ada", Email: "ada@acme.test",
		Role: storage.RoleOwner, PasswordHash: "x", CreatedAt: now}
	if err := store.CreateOrgWithOwner(ctx, org, owner); err != nil {
		t.Fatal(err)
	}
	wdg := storage.Widget{ID: storage.NewID("wdg"), OrgID: org.ID, Name: "site", PublishableKey: "pk_rotold",
		AllowedOrigins: []string{shopOrigin}, CreatedAt: now}
	if err := store.CreateWidget(ctx, wdg); err != nil {
		t.Fatal(err)
	}
	until := now.Add(time.Minute)
	if err := store.RotateWidgetKey(ctx, org.ID, wdg.ID, "pk_rotnew", until); err != nil {
		t.Fatal(err)
	}
	var clock atomic.Int64 // Unix ms
	srv := NewServer(Config{Hub: hub.New(store, Codec{}, hub.Options{}), Sessions: sessions, Directory: sealed(t, store),
		PublicOrigin: hubOrigin, Logger: zerolog.Nop(), Now: func() time.Time { return time.UnixMilli(clock.Load()).UTC() }})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		ts.Close()
	})
	dial := func(key string) int {
		t.Helper()
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		h := http.Header{"Origin": []string{shopOrigin}}
		c, res, _ := websocket.Dial(dctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/?key="+key, &websocket.DialOptions{HTTPHeader: h})
		if c != nil {
			_ = c.CloseNow()
		}
		if res == nil {
			t.Fatalf("dial %s: no response", key)
		}
		return res.StatusCode
	}
	clock.Store(until.Add(-time.Millisecond).UnixMilli())
	if got := dial("pk_rotold"); got != http.StatusSwitchingProtocols {
		t.Fatalf("previous key within the overlap: %d, want 101", got)
	}
	clock.Store(until.UnixMilli())
	if got := dial("pk_rotold"); got != http.StatusForbidden {
		t.Fatalf("previous key at the end of the overlap: %d, want 403", got)
	}
	if got := dial("pk_rotnew"); got != http.StatusSwitchingProtocols {
		t.Fatalf("new key: %d, want 101", got)
	}
}
