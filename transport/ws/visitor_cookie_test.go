package ws

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

const (
	hubOrigin  = "http://hub.test:8080"
	shopOrigin = "https://shop.example.com"
)

// cookieEnv is a server on a real SQLite store with one widget (allowed on
// shopOrigin) and one visitor session.
type cookieEnv struct {
	url, key, token string
}

func newCookieEnv(t *testing.T) cookieEnv {
	t.Helper()
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
	wdg := storage.Widget{ID: storage.NewID("wdg"), OrgID: org.ID, Name: "site", PublishableKey: "pk_cookietest",
		AllowedOrigins: []string{shopOrigin}, CreatedAt: now}
	if err := store.CreateWidget(ctx, wdg); err != nil {
		t.Fatal(err)
	}
	v := storage.Visitor{ID: storage.NewID("vis"), OrgID: org.ID, WidgetID: wdg.ID, CreatedAt: now}
	if err := store.CreateVisitor(ctx, v); err != nil {
		t.Fatal(err)
	}
	issued, err := sessions.Start(ctx, security.StartParams{OrgID: org.ID, Kind: storage.SubjectVisitor, SubjectID: v.ID})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Config{Hub: hub.New(store, Codec{}, hub.Options{}), Sessions: sessions, Directory: sealed(t, store),
		PublicOrigin: hubOrigin, Logger: zerolog.Nop()})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		ts.Close()
	})
	return cookieEnv{url: "ws" + strings.TrimPrefix(ts.URL, "http"), key: wdg.PublishableKey, token: issued.AccessToken}
}

// dial opens a socket with the given Origin ("" for none) and visitor
// cookie ("" for none).
func (e cookieEnv) dial(t *testing.T, path, origin, cookie string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if cookie != "" {
		h.Set("Cookie", VisitorCookie+"="+cookie)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, e.url+path, &websocket.DialOptions{HTTPHeader: h})
	if c != nil {
		t.Cleanup(func() { _ = c.CloseNow() })
	}
	return c, res, err
}

// firstFrame sends a ping (not an auth frame) and returns the first frame
// the server sends, or the close status when it closes instead.
func firstFrame(t *testing.T, c *websocket.Conn) (string, websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.Write(ctx, websocket.MessageText, []byte(`{"type":"ping","ref":"k1"}`))
	_, data, err := c.Read(ctx)
	if err != nil {
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			return "", ce.Code
		}
		t.Fatalf("read: %v", err)
	}
	return string(data), 0
}

// The widget iframe (the hub's own Origin, a widget key) is authenticated by
// its visitor cookie at upgrade.
func TestVisitorCookieAdmitsTheIframe(t *testing.T) {
	t.Parallel()
	e := newCookieEnv(t)
	c, _, err := e.dial(t, "/?key="+e.key, hubOrigin, e.token)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	frame, code := firstFrame(t, c)
	if !strings.Contains(frame, `"type":"ready"`) || !strings.Contains(frame, `"kind":"visitor"`) {
		t.Fatalf("first frame %q (close %d), want a visitor ready", frame, code)
	}
}

// The cookie is ignored from any other origin, without Origin, and on the
// agents' door (no widget key): those connections must authenticate with an
// auth frame, so a ping first closes them with 4001.
func TestVisitorCookieIgnoredElsewhere(t *testing.T) {
	t.Parallel()
	e := newCookieEnv(t)
	for _, tc := range []struct{ name, path, origin string }{
		{"widget origin", "/?key=" + e.key, shopOrigin},
		{"no origin", "/?key=" + e.key, ""},
		{"no widget key", "/", hubOrigin},
	} {
		c, _, err := e.dial(t, tc.path, tc.origin, e.token)
		if err != nil {
			t.Fatalf("%s: dial: %v", tc.name, err)
		}
		if frame, code := firstFrame(t, c); code != 4001 {
			t.Errorf("%s: first frame %q, close %d; want close 4001", tc.name, frame, code)
		}
	}
}

// A bad visitor cookie from the iframe is refused before the upgrade.
func TestVisitorCookieInvalidRefused(t *testing.T) {
	t.Parallel()
	e := newCookieEnv(t)
	_, res, err := e.dial(t, "/?key="+e.key, hubOrigin, "hlv_notavalidtoken")
	if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial with a bad cookie: %v, %+v; want 401", err, res)
	}
}
