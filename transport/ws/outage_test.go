package ws

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
	"github.com/helpr-chat/helpr/transport/wire"
)

// flakyStore is a real SQLite store that can become unreachable: while down
// is set, the session, directory and append methods go to a second SQLite
// store that has been closed, so callers get the backend's real error
// values through its real error mapping (storage.ErrUnavailable). With
// slow set, AppendMessage waits for release (or its context) first.
type flakyStore struct {
	*sqlite.Store
	dead *sqlite.Store
	down atomic.Bool

	slow      atomic.Bool
	release   chan struct{}
	appending atomic.Int32 // AppendMessage calls waiting for release
}

func newFlakyStore(t *testing.T) *flakyStore {
	t.Helper()
	ctx := context.Background()
	live, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = live.Close() })
	dead, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gone.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := dead.Close(); err != nil {
		t.Fatal(err)
	}
	return &flakyStore{Store: live, dead: dead, release: make(chan struct{})}
}

func (f *flakyStore) pick() *sqlite.Store {
	if f.down.Load() {
		return f.dead
	}
	return f.Store
}

func (f *flakyStore) GetAccessGrant(ctx context.Context, hash []byte) (storage.AccessGrant, error) {
	return f.pick().GetAccessGrant(ctx, hash)
}

func (f *flakyStore) GetRefreshToken(ctx context.Context, hash []byte) (storage.RefreshToken, error) {
	return f.pick().GetRefreshToken(ctx, hash)
}

func (f *flakyStore) GetSession(ctx context.Context, id string) (storage.Session, error) {
	return f.pick().GetSession(ctx, id)
}

func (f *flakyStore) RotateRefresh(ctx context.Context, r storage.Rotation) error {
	return f.pick().RotateRefresh(ctx, r)
}

func (f *flakyStore) RevokeSession(ctx context.Context, id string, at time.Time) error {
	return f.pick().RevokeSession(ctx, id, at)
}

func (f *flakyStore) GetVisitor(ctx context.Context, orgID, id string) (storage.Visitor, error) {
	return f.pick().GetVisitor(ctx, orgID, id)
}

func (f *flakyStore) GetWidgetByKey(ctx context.Context, key string) (storage.Widget, error) {
	return f.pick().GetWidgetByKey(ctx, key)
}

func (f *flakyStore) AppendMessage(ctx context.Context, m storage.Message) (storage.Message, bool, error) {
	if err := f.stall(ctx); err != nil {
		return storage.Message{}, false, err
	}
	return f.pick().AppendMessage(ctx, m)
}

func (f *flakyStore) AppendMessageChecked(ctx context.Context, m storage.Message) (storage.Appended, error) {
	if err := f.stall(ctx); err != nil {
		return storage.Appended{}, err
	}
	return f.pick().AppendMessageChecked(ctx, m)
}

// stall holds an append while the store is slow, until released.
func (f *flakyStore) stall(ctx context.Context) error {
	if !f.slow.Load() {
		return nil
	}
	f.appending.Add(1)
	select {
	case <-f.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// outageEnv is a real server on a flakyStore, with sessions on an injected
// clock that trust a cached grant for 30 s (as in a cluster).
type outageEnv struct {
	t        *testing.T
	base     string
	clock    *testClock
	logs     *lockedBuffer
	store    *flakyStore
	sessions *security.Sessions
	srv      *Server
	org      string
	owner    string
	widget   storage.Widget
}

const outageMaxAge = 30 * time.Second

func newOutageEnv(t *testing.T, mutate func(*Config)) *outageEnv {
	t.Helper()
	store := newFlakyStore(t)
	clk := &testClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	sessions, err := security.NewSessions(security.SessionsConfig{Store: store,
		Now: clk.Now, CacheMaxAge: outageMaxAge})
	if err != nil {
		t.Fatal(err)
	}
	e := &outageEnv{t: t, clock: clk, logs: &lockedBuffer{}, store: store, sessions: sessions}
	e.seed()
	cfg := Config{Hub: hub.New(store, Codec{}, hub.Options{Now: clk.Now}), Sessions: sessions, Directory: sealed(t, store),
		PublicOrigin: hubOrigin, Logger: zerolog.New(e.logs), Now: clk.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	e.srv = NewServer(cfg)
	ts := httptest.NewServer(e.srv)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.srv.Shutdown(sctx)
		ts.Close()
	})
	e.base = ts.URL
	return e
}

func (e *outageEnv) seed() {
	ctx := context.Background()
	now := e.clock.Now()
	e.org, e.owner, e.widget = seedOrgWidget(e.t, ctx, e.store, now)
}

// agent starts an agent session of the owner.
func (e *outageEnv) agent() security.Issued {
	e.t.Helper()
	is, err := e.sessions.Start(context.Background(), security.StartParams{OrgID: e.org, Kind: storage.SubjectAgent, SubjectID: e.owner})
	if err != nil {
		e.t.Fatal(err)
	}
	return is
}

// visitor stores a visitor and starts its session.
func (e *outageEnv) visitor() string {
	e.t.Helper()
	now := e.clock.Now()
	v := storage.Visitor{ID: storage.NewID("vis"), OrgID: e.org, WidgetID: e.widget.ID, CreatedAt: now, LastSeenAt: now}
	if err := e.store.CreateVisitor(context.Background(), v); err != nil {
		e.t.Fatal(err)
	}
	is, err := e.sessions.Start(context.Background(), security.StartParams{OrgID: e.org, Kind: storage.SubjectVisitor, SubjectID: v.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return is.AccessToken
}

// dial connects with o (the hub's origin when none is set) and waits for
// ready.
func (e *outageEnv) dial(o client.Options) *client.Conn {
	e.t.Helper()
	c := e.dialRaw(o)
	if f, err := c.Next(deadline(e.t)); err != nil || f.Type != wire.TypeReady {
		e.t.Fatalf("first frame %+v, %v; want ready", f, err)
	}
	return c
}

func (e *outageEnv) dialRaw(o client.Options) *client.Conn {
	e.t.Helper()
	if o.Origin == "" {
		o.Origin = hubOrigin
	}
	c, resp, err := client.Dial(deadline(e.t), e.base, o)
	if err != nil {
		e.t.Fatalf("dial: %v (%s)", err, status(resp))
	}
	e.t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// deadline is a deadlock guard for one step of a test.
func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// goDown makes the store unreachable and every cached grant stale.
func (e *outageEnv) goDown() {
	e.store.down.Store(true)
	e.clock.Advance(outageMaxAge + time.Second)
}

// closedWith reads until the socket closes and returns its close code.
func closedWith(t *testing.T, c *client.Conn) int {
	t.Helper()
	ctx := deadline(t)
	for {
		if _, err := c.Next(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("the socket was not closed")
			}
			return client.CloseStatus(err)
		}
	}
}

// upgradeRefusal dials with an Authorization header and returns the HTTP
// status and error code of the refused upgrade.
func (e *outageEnv) upgradeRefusal(token string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.base, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Origin", hubOrigin)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	resp, err := http.DefaultClient.Do(req.WithContext(deadline(e.t)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Error.Code
}

// The finding: with the store down, a cache re-read turned "store
// unreachable" into "unauthorized" (4001, then 401 at reconnect). Now the
// open socket is told to try again (1013), the upgrade answers 503
// unavailable, a warning is logged without the token, and once the store is
// back the very same token works.
func TestStoreOutageIsRetryableNotUnauthorized(t *testing.T) {
	e := newOutageEnv(t, nil)
	is := e.agent()
	c := e.dial(client.Options{Token: is.AccessToken})

	e.goDown()
	if err := c.Send(deadline(t), wire.TypePing, "p1", nil); err != nil {
		t.Fatal(err)
	}
	if code := closedWith(t, c); code != int(wire.CloseTryAgain) {
		t.Fatalf("open socket closed with %d during a store outage, want %d (try again later)", code, wire.CloseTryAgain)
	}
	if st, code := e.upgradeRefusal(is.AccessToken); st != http.StatusServiceUnavailable || code != "unavailable" {
		t.Fatalf("upgrade during a store outage: %d %q, want 503 \"unavailable\"", st, code)
	}
	// First-frame authentication says the same.
	c = e.dialRaw(client.Options{Token: is.AccessToken, AuthFrame: true})
	if code := closedWith(t, c); code != int(wire.CloseTryAgain) {
		t.Fatalf("auth frame during a store outage: closed %d, want %d", code, wire.CloseTryAgain)
	}
	logs := e.logs.String()
	if n := strings.Count(logs, "store unavailable: client told to retry"); n != 1 || !strings.Contains(logs, `"level":"warn"`) {
		t.Fatalf("want exactly one (rate-limited) warning, got %d in:\n%s", n, logs)
	}
	if strings.Contains(logs, is.AccessToken) {
		t.Fatal("the token reached the log")
	}

	e.store.down.Store(false)
	c = e.dial(client.Options{Token: is.AccessToken})
	if err := c.Send(deadline(t), wire.TypePing, "p2", nil); err != nil {
		t.Fatal(err)
	}
	if f, err := c.Next(deadline(t)); err != nil || f.Type != wire.TypePong {
		t.Fatalf("after the store returned: %+v, %v; want pong", f, err)
	}
}

// The periodic re-validation of an idle socket says "try again" too.
func TestStoreOutageSweepClosesTryAgain(t *testing.T) {
	e := newOutageEnv(t, func(c *Config) { c.RevalidateInterval = 20 * time.Millisecond })
	c := e.dial(client.Options{Token: e.agent().AccessToken})
	e.goDown()
	if code := closedWith(t, c); code != int(wire.CloseTryAgain) {
		t.Fatalf("idle socket re-validated during a store outage: closed %d, want %d", code, wire.CloseTryAgain)
	}
}

// A visitor whose token is cached but whose record cannot be read (the
// widget check at connect) is told to try again, not that it is unknown.
func TestStoreOutageVisitorLookupTryAgain(t *testing.T) {
	e := newOutageEnv(t, nil)
	tok := e.visitor()
	e.store.down.Store(true) // the cached grant stays fresh
	c := e.dialRaw(client.Options{Token: tok, AuthFrame: true})
	if code := closedWith(t, c); code != int(wire.CloseTryAgain) {
		t.Fatalf("visitor connect during a store outage: closed %d, want %d", code, wire.CloseTryAgain)
	}
}

// A re-auth frame whose token cannot be checked is answered "unavailable"
// and the socket stays open on its current token; a message.send the
// store cannot take is answered "unavailable" (retryable), not "internal".
func TestStoreOutageFramesAnswerUnavailable(t *testing.T) {
	e := newOutageEnv(t, nil)
	vc := e.dial(client.Options{Token: e.visitor(), WidgetKey: e.widget.PublishableKey, Origin: shopOrigin})
	if err := vc.Send(deadline(t), wire.TypeConversationStart, "s1", nil); err != nil {
		t.Fatal(err)
	}
	f, err := vc.Await(deadline(t), client.OfType(wire.TypeConversation))
	if err != nil {
		t.Fatal(err)
	}
	var conv wire.Conversation
	if err := f.Decode(&conv); err != nil {
		t.Fatal(err)
	}
	// A second Sessions on the same store issues a token this node has not cached.
	other, err := security.NewSessions(security.SessionsConfig{Store: e.store.Store})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := other.Start(context.Background(), security.StartParams{OrgID: e.org, Kind: storage.SubjectAgent, SubjectID: e.owner})
	if err != nil {
		t.Fatal(err)
	}
	ac := e.dial(client.Options{Token: e.agent().AccessToken})

	e.store.down.Store(true) // cached grants stay fresh: only the uncached token and the append fail
	if err := ac.Send(deadline(t), wire.TypeAuth, "a1", wire.Auth{Token: fresh.AccessToken}); err != nil {
		t.Fatal(err)
	}
	wantError(t, ac, "a1", wire.CodeUnavailable)
	if err := ac.Send(deadline(t), wire.TypePing, "p1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.Await(deadline(t), client.Reply("p1")); err != nil {
		t.Fatalf("socket did not stay open after an unavailable re-auth: %v", err)
	}
	send := wire.MessageSend{ConversationID: conv.ID, ClientID: "c-1", Text: "hello"}
	if err := vc.Send(deadline(t), wire.TypeMessageSend, "m1", send); err != nil {
		t.Fatal(err)
	}
	wantError(t, vc, "m1", wire.CodeUnavailable)

	e.store.down.Store(false) // the resend with the same client id is stored now
	if err := vc.Send(deadline(t), wire.TypeMessageSend, "m2", send); err != nil {
		t.Fatal(err)
	}
	if f, err := vc.Await(deadline(t), client.Reply("m2")); err != nil || f.Type != wire.TypeAck {
		t.Fatalf("resend after the store returned: %+v, %v; want ack", f, err)
	}
}

func wantError(t *testing.T, c *client.Conn, ref string, code wire.ErrorCode) {
	t.Helper()
	f, err := c.Await(deadline(t), client.Reply(ref))
	if err != nil {
		t.Fatal(err)
	}
	var e wire.Error
	if f.Type != wire.TypeError || f.Decode(&e) != nil || e.Code != string(code) {
		t.Fatalf("reply to %s: %s %s, want error %q", ref, f.Type, f.Data, code)
	}
}

// The session layer's taxonomy: a store outage is ErrUnavailable, never a
// rejection, and a refresh during it revokes and rotates nothing.
func TestStoreOutageSessionTaxonomy(t *testing.T) {
	e := newOutageEnv(t, nil)
	is := e.agent()
	e.goDown()
	_, err := e.sessions.Authenticate(context.Background(), is.AccessToken)
	if !errors.Is(err, security.ErrUnavailable) || !errors.Is(err, storage.ErrUnavailable) || security.Rejected(err) {
		t.Fatalf("validate during an outage: %v; want ErrUnavailable (and the store's ErrUnavailable), not a rejection", err)
	}
	if _, err := e.sessions.Refresh(context.Background(), is.RefreshToken); !errors.Is(err, security.ErrUnavailable) || security.Rejected(err) {
		t.Fatalf("refresh during an outage: %v; want ErrUnavailable", err)
	}
	e.store.down.Store(false)
	if _, err := e.sessions.Authenticate(context.Background(), is.AccessToken); err != nil {
		t.Fatalf("access token after the outage: %v", err)
	}
	if _, err := e.sessions.Refresh(context.Background(), is.RefreshToken); err != nil {
		t.Fatalf("the refresh token after the outage: %v", err)
	}
}
