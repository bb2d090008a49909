package ws

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
	"github.com/helpr-chat/helpr/transport/wire"
)

// A JWT-shaped string (the fake below decides what it means).
const fakeJWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJjdXNfMSJ9.c2lnbmF0dXJl"

// setClock is a settable clock for the sessions.
type setClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *setClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *setClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fakeChat is ChatSessions as transport/api implements it, reduced to its
// outcome: a refusal (err), or a session of visitor capped at exp.
type fakeChat struct {
	sessions *security.Sessions
	visitor  storage.Visitor
	exp      time.Time
	err      error
	calls    int
	mu       sync.Mutex
}

func (f *fakeChat) StartChatSession(ctx context.Context, token string, w storage.Widget, ip, ua string) (string, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if token != fakeJWT {
		return "", security.ChatTokenRefused(security.ChatReasonSignature)
	}
	if f.err != nil {
		return "", f.err
	}
	if w.OrgID != f.visitor.OrgID {
		return "", security.ChatTokenRefused(security.ChatReasonOrganization)
	}
	is, err := f.sessions.Start(ctx, security.StartParams{OrgID: w.OrgID, Kind: storage.SubjectVisitor,
		SubjectID: f.visitor.ID, IP: ip, UserAgent: ua, NotAfter: f.exp})
	return is.AccessToken, err
}

type chatEnv struct {
	url, key string
	chat     *fakeChat
	clock    *setClock
	sessions *security.Sessions
}

func newChatEnv(t *testing.T) *chatEnv {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	clk := &setClock{t: time.Now().UTC().Truncate(time.Second)}
	sessions, err := security.NewSessions(security.SessionsConfig{Store: store, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	now := clk.Now()
	org := storage.Organization{ID: storage.NewID("org"), Name: "Acme", CreatedAt: now}
	owner := storage.Agent{ID: storage.NewID("agt"), OrgID: org.ID, Name: "Ada", Email: "ada@acme.test",
		Role: storage.RoleOwner, PasswordHash: "x", CreatedAt: now}
	if err := store.CreateOrgWithOwner(ctx, org, owner); err != nil {
		t.Fatal(err)
	}
	wdg := storage.Widget{ID: storage.NewID("wdg"), OrgID: org.ID, Name: "site", PublishableKey: "pk_chattest",
		AllowedOrigins: []string{shopOrigin}, CreatedAt: now}
	if err := store.CreateWidget(ctx, wdg); err != nil {
		t.Fatal(err)
	}
	v := storage.Visitor{ID: storage.NewID("vis"), OrgID: org.ID, WidgetID: wdg.ID, CreatedAt: now}
	if err := store.CreateVisitor(ctx, v); err != nil {
		t.Fatal(err)
	}
	chat := &fakeChat{sessions: sessions, visitor: v, exp: now.Add(time.Hour)}
	srv := NewServer(Config{Hub: hub.New(store, Codec{}, hub.Options{}), Sessions: sessions, Directory: sealed(t, store),
		ChatSessions: chat, PublicOrigin: hubOrigin, Logger: zerolog.Nop(),
		RevalidateInterval: 40 * time.Millisecond, PingInterval: time.Second})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		ts.Close()
	})
	return &chatEnv{url: "ws" + strings.TrimPrefix(ts.URL, "http"), key: wdg.PublishableKey, chat: chat,
		clock: clk, sessions: sessions}
}

// dial opens a socket from the widget's site, with a bearer token when
// given.
func (e *chatEnv) dial(t *testing.T, path, bearer string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{"Origin": {shopOrigin}}
	if bearer != "" {
		h.Set("Authorization", "Bearer "+bearer)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, e.url+path, &websocket.DialOptions{HTTPHeader: h})
	if c != nil {
		t.Cleanup(func() { _ = c.CloseNow() })
	}
	return c, res, err
}

// authFrame sends an auth frame and returns the first answer (or the
// close code).
func authFrame(t *testing.T, c *websocket.Conn, token string) (string, websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"auth","ref":"a1","data":{"token":"`+token+`"}}`)); err != nil {
		t.Fatal(err)
	}
	return readOne(ctx, t, c)
}

func readOne(ctx context.Context, t *testing.T, c *websocket.Conn) (string, websocket.StatusCode) {
	t.Helper()
	_, data, err := c.Read(ctx)
	if err != nil {
		if code := websocket.CloseStatus(err); code != -1 {
			return "", code
		}
		t.Fatalf("read: %v", err)
	}
	return string(data), 0
}

// A chat token in the auth frame authenticates the visitor; the session
// it started expires with the token and the socket then closes with
// CloseTokenExpired.
func TestChatTokenAuthFrameAndExpiry(t *testing.T) {
	t.Parallel()
	e := newChatEnv(t)
	c, _, err := e.dial(t, "/?key="+e.key, "")
	if err != nil {
		t.Fatal(err)
	}
	frame, code := authFrame(t, c, fakeJWT)
	if !strings.Contains(frame, `"type":"ready"`) || !strings.Contains(frame, `"kind":"visitor"`) {
		t.Fatalf("auth with a chat token: %q (close %d)", frame, code)
	}
	e.clock.Advance(time.Hour) // the chat token's exp
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		frame, code := readOne(ctx, t, c)
		if code != 0 {
			if code != wire.CloseTokenExpired {
				t.Fatalf("closed with %d, want %d (token expired)", code, wire.CloseTokenExpired)
			}
			return
		}
		_ = frame // presence and pings may come first
	}
}

// The upgrade's Authorization header may carry the chat token too.
func TestChatTokenAtUpgrade(t *testing.T) {
	t.Parallel()
	e := newChatEnv(t)
	c, _, err := e.dial(t, "/?key="+e.key, fakeJWT)
	if err != nil {
		t.Fatalf("upgrade with a chat token: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.Write(ctx, websocket.MessageText, []byte(`{"type":"ping","ref":"p1"}`))
	if frame, code := readOne(ctx, t, c); code != 0 || !strings.Contains(frame, `"ref":"p1"`) && !strings.Contains(frame, "ready") {
		t.Fatalf("after upgrade: %q close %d", frame, code)
	}
}

func TestChatTokenRefusals(t *testing.T) {
	t.Parallel()
	e := newChatEnv(t)
	// Refused at the upgrade: 401, token_expired for an expired token.
	e.chat.err = security.ChatTokenRefused(security.ChatReasonExpired)
	_, res, err := e.dial(t, "/?key="+e.key, fakeJWT)
	if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired at upgrade: %v %+v", err, res)
	}
	// Refused in the auth frame: the documented close codes.
	for _, tc := range []struct {
		name string
		err  error
		want websocket.StatusCode
	}{
		{"expired", security.ChatTokenRefused(security.ChatReasonExpired), wire.CloseTokenExpired},
		{"stale version", security.ChatTokenRefused(security.ChatReasonTokenVersion), wire.CloseUnauthorized},
		{"store down", storage.ErrUnavailable, wire.CloseTryAgain},
		{"visitor-session limit", security.ErrChatSessionLimited, wire.CloseRateLimited},
	} {
		e.chat.err = tc.err
		c, _, err := e.dial(t, "/?key="+e.key, "")
		if err != nil {
			t.Fatal(err)
		}
		if frame, code := authFrame(t, c, fakeJWT); code != tc.want {
			t.Errorf("%s: %q close %d, want %d", tc.name, frame, code, tc.want)
		}
	}
	// Without the widget's key a chat token means nothing: 4001, and the
	// token is never even tried.
	e.chat.err = nil
	before := e.chat.calls
	c, _, err := websocket.Dial(context.Background(), e.url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, code := authFrame(t, c, fakeJWT); code != wire.CloseUnauthorized || e.chat.calls != before {
		t.Fatalf("chat token without a widget key: close %d, calls %d→%d", code, before, e.chat.calls)
	}
}

// Revoking the session a chat token started (invalidation) closes the
// socket with CloseSessionRevoked.
func TestChatTokenSocketClosesOnRevocation(t *testing.T) {
	t.Parallel()
	e := newChatEnv(t)
	c, _, err := e.dial(t, "/?key="+e.key, "")
	if err != nil {
		t.Fatal(err)
	}
	if frame, _ := authFrame(t, c, fakeJWT); !strings.Contains(frame, "ready") {
		t.Fatalf("auth: %q", frame)
	}
	if _, err := e.sessions.RevokeSubject(context.Background(), e.chat.visitor.OrgID, storage.SubjectVisitor, e.chat.visitor.ID, ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, code := readOne(ctx, t, c); code != 0 {
			if code != wire.CloseSessionRevoked {
				t.Fatalf("closed with %d, want %d", code, wire.CloseSessionRevoked)
			}
			return
		}
	}
}
