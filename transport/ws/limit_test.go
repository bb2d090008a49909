package ws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/internal/metrics"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
	"github.com/helpr-chat/helpr/transport/wire"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// lockedBuffer collects log lines from concurrent connections.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// limitEnv is a real server on a real SQLite store, on an injected clock,
// with one widget; tokens for its visitors and owner come from token.
type limitEnv struct {
	t        *testing.T
	base     string
	clock    *testClock
	logs     *lockedBuffer
	metrics  *metrics.Helpr
	store    *sqlite.Store
	sessions *security.Sessions
	org      string
	owner    string
	widget   storage.Widget
}

func newLimitEnv(t *testing.T, mutate func(*Config)) *limitEnv {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	clk := &testClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	sessions, err := security.NewSessions(security.SessionsConfig{Store: store, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := &limitEnv{t: t, clock: clk, logs: &lockedBuffer{}, metrics: metrics.NewHelpr(metrics.NewRegistry()),
		store: store, sessions: sessions}
	e.seed(ctx)
	cfg := Config{Hub: hub.New(store, Codec{}, hub.Options{Now: clk.Now}), Sessions: sessions, Directory: sealed(t, store),
		PublicOrigin: hubOrigin, Logger: zerolog.New(e.logs), Metrics: e.metrics, Now: clk.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	srv := NewServer(cfg)
	mux := http.NewServeMux()
	mux.Handle("/rest/v1/ws", srv)
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		ts.Close()
	})
	e.base = ts.URL
	return e
}

// seed stores an organisation with its owner and a widget on shopOrigin.
func (e *limitEnv) seed(ctx context.Context) {
	now := e.clock.Now()
	e.org, e.owner, e.widget = seedOrgWidget(e.t, ctx, e.store, now)
}

// token starts a session for a subject.
func (e *limitEnv) token(kind storage.SubjectKind, id string) string {
	e.t.Helper()
	is, err := e.sessions.Start(context.Background(), security.StartParams{OrgID: e.org, Kind: kind, SubjectID: id})
	if err != nil {
		e.t.Fatal(err)
	}
	return is.AccessToken
}

// visitor stores a new visitor and returns its token.
func (e *limitEnv) visitor() string {
	e.t.Helper()
	now := e.clock.Now()
	v := storage.Visitor{ID: storage.NewID("vis"), OrgID: e.org, WidgetID: e.widget.ID, CreatedAt: now, LastSeenAt: now}
	if err := e.store.CreateVisitor(context.Background(), v); err != nil {
		e.t.Fatal(err)
	}
	return e.token(storage.SubjectVisitor, v.ID)
}

// dial connects with tok (a visitor through the widget, else an agent)
// and waits for ready.
func (e *limitEnv) dial(tok string, visitor bool) *client.Conn {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a deadlock guard
	defer cancel()
	o := client.Options{Token: tok}
	if visitor {
		o.WidgetKey, o.Origin = e.widget.PublishableKey, shopOrigin
	} else {
		o.Origin = hubOrigin
	}
	c, _, err := client.Dial(ctx, e.base, o)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	e.t.Cleanup(func() { _ = c.CloseNow() })
	if _, err := c.Await(ctx, client.OfType(wire.TypeReady)); err != nil {
		e.t.Fatalf("await ready: %v", err)
	}
	return c
}

var startN atomic.Int64 // unique refs

// start sends conversation.start and returns its answer: the conversation
// frame, or the error frame.
func start(t *testing.T, c *client.Conn) (conv *wire.Conversation, refusal *wire.Error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a deadlock guard
	defer cancel()
	ref := fmt.Sprintf("s%d", startN.Add(1))
	if err := c.Send(ctx, wire.TypeConversationStart, ref, nil); err != nil {
		t.Fatal(err)
	}
	f, err := c.Await(ctx, client.Reply(ref))
	if err != nil {
		t.Fatalf("await %s: %v", ref, err)
	}
	switch f.Type {
	case wire.TypeConversation:
		conv = new(wire.Conversation)
		err = f.Decode(conv)
	case wire.TypeError:
		refusal = new(wire.Error)
		err = f.Decode(refusal)
	default:
		err = errors.New("unexpected frame " + f.Type)
	}
	if err != nil {
		t.Fatal(err)
	}
	return conv, refusal
}

// mustStart fails unless the start succeeds.
func mustStart(t *testing.T, c *client.Conn) {
	t.Helper()
	if _, refusal := start(t, c); refusal != nil {
		t.Fatalf("start refused: %+v", *refusal)
	}
}

// mustBeLimited fails unless the start is refused with rate_limited and
// retry_after want (seconds), named in the message too.
func mustBeLimited(t *testing.T, c *client.Conn, want int) {
	t.Helper()
	_, refusal := start(t, c)
	if refusal == nil {
		t.Fatal("start allowed over the limit")
	}
	if refusal.Code != string(wire.CodeRateLimited) || refusal.RetryAfter != want ||
		!strings.Contains(refusal.Message, fmt.Sprintf("retry in %d seconds", want)) {
		t.Fatalf("refusal %+v, want rate_limited retrying in %d s", *refusal, want)
	}
}

// A visitor may start exactly 10 conversations in any hour, whichever of
// its connections asks; other visitors and agents are unaffected.
func TestConversationStartLimitPerVisitor(t *testing.T) {
	e := newLimitEnv(t, nil)
	tok := e.visitor()
	c := e.dial(tok, true)
	for i := range DefaultConversationLimit { // one a second: t0 … t0+9s
		mustStart(t, c)
		if i < DefaultConversationLimit-1 {
			e.clock.Advance(time.Second)
		}
	}
	mustBeLimited(t, c, 3600-9)
	mustBeLimited(t, e.dial(tok, true), 3600-9)                    // another socket of the visitor
	again := e.token(storage.SubjectVisitor, visitorOf(t, e, tok)) // another session of the visitor
	mustBeLimited(t, e.dial(again, true), 3600-9)
	mustStart(t, e.dial(e.visitor(), true))

	e.clock.Advance(time.Hour - 10*time.Second) // t0+3599s
	mustBeLimited(t, c, 1)
	e.clock.Advance(time.Second) // t0+3600s: the first start left the window
	mustStart(t, c)
	mustBeLimited(t, c, 1)

	if n := e.metrics.RateLimited.With(limitConversation).Value(); n != 5 {
		t.Fatalf("helpr_rate_limited_total{limit=%q} = %d, want 5", limitConversation, n)
	}
}

// visitorOf returns the visitor id a token authenticates.
func visitorOf(t *testing.T, e *limitEnv, tok string) string {
	t.Helper()
	p, err := e.sessions.ValidateHash(context.Background(), security.HashToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	return p.SubjectID
}

// Disabled means no limit; a failing shared limiter falls back to this
// node's window and warns once a minute at most, without the visitor id.
func TestConversationStartLimitOffAndFallback(t *testing.T) {
	t.Run("off", func(t *testing.T) {
		e := newLimitEnv(t, func(c *Config) {
			c.ConversationLimit = RateLimit{Disabled: true}
			c.ConversationLimiter = brokenLimiter{}
		})
		c := e.dial(e.visitor(), true)
		for range DefaultConversationLimit + 2 {
			mustStart(t, c)
		}
	})
	t.Run("fallback", func(t *testing.T) {
		e := newLimitEnv(t, func(c *Config) {
			c.ConversationLimit = RateLimit{Limit: 2, Window: time.Minute}
			c.ConversationLimiter = brokenLimiter{}
		})
		tok := e.visitor()
		c := e.dial(tok, true)
		mustStart(t, c)
		mustStart(t, c)
		mustBeLimited(t, c, 60)
		logs := e.logs.String()
		if strings.Count(logs, "shared rate limit unavailable") != 1 || !strings.Contains(logs, `"level":"warn"`) ||
			strings.Contains(logs, visitorOf(t, e, tok)) {
			t.Fatalf("want one warning without the visitor id:\n%s", logs)
		}
	})
}

// Agents cannot start conversations, and their refusals cost no visitor
// anything.
func TestConversationStartLimitIgnoresAgents(t *testing.T) {
	e := newLimitEnv(t, func(c *Config) { c.ConversationLimit = RateLimit{Limit: 1, Window: time.Hour} })
	agent := e.dial(e.token(storage.SubjectAgent, e.owner), false)
	if _, refusal := start(t, agent); refusal == nil || refusal.Code != string(wire.CodeForbidden) {
		t.Fatalf("agent start: %+v", refusal)
	}
	c := e.dial(e.visitor(), true)
	mustStart(t, c)
	mustBeLimited(t, c, 3600)
}

// brokenLimiter is a shared store that cannot be reached.
type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 0, errors.New("redislimit helpr:rl:conversation_visitor: connection refused")
}

// orgWidgetStore is what seedOrgWidget writes to.
type orgWidgetStore interface {
	CreateOrgWithOwner(ctx context.Context, org storage.Organization, owner storage.Agent) error
	CreateWidget(ctx context.Context, w storage.Widget) error
}

// seedOrgWidget stores an organisation with its owner and a widget on
// shopOrigin, returning their ids and the widget.
func seedOrgWidget(t testing.TB, ctx context.Context, store orgWidgetStore, now time.Time) (orgID, ownerID string, w storage.Widget) {
	t.Helper()
	org := storage.Organization{ID: storage.NewID("org"), Name: "Acme", CreatedAt: now}
	owner := storage.Agent{ID: storage.NewID("agt"), OrgID: org.ID, Name: "Ada", Email: "ada@acme.test",
		Role: storage.RoleOwner, PasswordHash: "x", CreatedAt: now}
	if err := store.CreateOrgWithOwner(ctx, org, owner); err != nil {
		t.Fatal(err)
	}
	w = storage.Widget{ID: storage.NewID("wdg"), OrgID: org.ID, Name: "site", PublishableKey: storage.NewID("pk"),
		AllowedOrigins: []string{shopOrigin}, CreatedAt: now}
	if err := store.CreateWidget(ctx, w); err != nil {
		t.Fatal(err)
	}
	return org.ID, owner.ID, w
}
