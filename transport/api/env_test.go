package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/internal/metrics"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
	"github.com/helpr-chat/helpr/transport/httpx"
)

const (
	publicOrigin = "http://127.0.0.1:8080"
	testPassword = "correct horse battery"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var (
	hasherOnce sync.Once
	hasher     *security.Hasher
	seedHash   string // argon2id hash of testPassword, shared by seeded agents
)

func testHasher(t testing.TB) *security.Hasher {
	t.Helper()
	hasherOnce.Do(func() {
		h, err := security.NewHasher(security.HasherConfig{})
		if err != nil {
			panic(err)
		}
		hasher = h
		seedHash, err = h.Hash(context.Background(), testPassword)
		if err != nil {
			panic(err)
		}
	})
	return hasher
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	t        testing.TB
	srv      *httptest.Server
	api      *API
	store    *security.SealedStore // what the product passes as Store and Privacy
	raw      *sqlite.Store         // the backend under it: sealed values only
	cipher   *security.FieldCipher
	sessions *security.Sessions
	clock    *clock
	logs     *syncBuffer
	metrics  *metrics.Helpr
}

// newEnv starts the API on a fresh SQLite file wrapped, as in the product,
// in a SealedStore with a fresh keyring. Rate limits are off unless a
// test's mutate turns them on; 127.0.0.1 is a trusted proxy so tests can
// pick client IPs with X-Forwarded-For.
func newEnv(t testing.TB, mutate ...func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "helpr.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	clk := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	store, cipher := sealed(t, syncedSearch{raw}, clk.Now())
	sess, err := security.NewSessions(security.SessionsConfig{Store: store, Now: clk.Now})
	if err != nil {
		t.Fatalf("sessions: %v", err)
	}
	logs := &syncBuffer{}
	m := metrics.NewHelpr(metrics.NewRegistry())
	cfg := Config{Metrics: m, Store: store, Privacy: store, Sessions: sess, Hasher: testHasher(t), Now: clk.Now,
		Logger:        zerolog.New(logs).Level(zerolog.DebugLevel),
		PublicOrigin:  publicOrigin,
		ClientIP:      httpx.NewClientIPResolver([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}),
		RegisterLimit: RateLimit{Disabled: true}, LoginLimit: RateLimit{Disabled: true},
		VisitorSessionIPLimit: RateLimit{Disabled: true}, VisitorSessionWidgetLimit: RateLimit{Disabled: true},
		AgentCreateLimit: RateLimit{Disabled: true}}
	for _, m := range mutate {
		m(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("new api: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, api: a, store: store, raw: raw, cipher: cipher, sessions: sess,
		clock: clk, logs: logs, metrics: m}
}

// sealed wraps raw in a SealedStore under a new keyring, as the server does.
func sealed(t testing.TB, raw storage.Store, now time.Time) (*security.SealedStore, *security.FieldCipher) {
	t.Helper()
	ring, err := security.NewKeyring(now)
	if err != nil {
		t.Fatalf("keyring: %v", err)
	}
	cipher, err := security.NewFieldCipher(ring)
	if err != nil {
		t.Fatalf("field cipher: %v", err)
	}
	return security.NewSealedStore(raw, cipher), cipher
}

// with returns a copy of e reporting to t (for subtests).
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// withLimits turns every rate limit on with its default numbers.
func withLimits(c *Config) {
	c.RegisterLimit, c.LoginLimit = RateLimit{}, RateLimit{}
	c.VisitorSessionIPLimit, c.VisitorSessionWidgetLimit = RateLimit{}, RateLimit{}
	c.AgentCreateLimit = RateLimit{}
}

// reqOpt adjusts a request.
type reqOpt func(*http.Request)

func bearer(tok string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func origin(o string) reqOpt { return func(r *http.Request) { r.Header.Set("Origin", o) } }

func fromIP(ip string) reqOpt { return func(r *http.Request) { r.Header.Set("X-Forwarded-For", ip) } }

func cookie(name, value string) reqOpt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: name, Value: value}) }
}

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

type resp struct {
	status int
	header http.Header
	body   []byte
	resp   *http.Response
}

// do sends body (a string is sent raw, anything else as JSON).
func (e *env) do(method, path string, body any, opts ...reqOpt) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b, resp: res}
}

// expect fails the test unless the response has status (and, for an
// error, code).
func (r resp) expect(t testing.TB, status int, code string) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if code != "" {
		var eb struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(r.body, &eb); err != nil || eb.Error.Code != code || eb.Error.Message == "" {
			t.Fatalf("want error code %q, body %s", code, r.body)
		}
	}
	return r
}

func (r resp) json(t testing.TB, dst any) {
	t.Helper()
	if err := json.Unmarshal(r.body, dst); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// seedOrg stores an organisation with an owner whose password is
// testPassword, and returns the owner with a fresh access token.
func (e *env) seedOrg(name string) (storage.Agent, string) {
	e.t.Helper()
	testHasher(e.t)
	now := e.clock.Now().Truncate(time.Millisecond)
	org := storage.Organization{ID: storage.NewID("org"), Name: name, CreatedAt: now}
	owner := storage.Agent{ID: storage.NewID("agt"), OrgID: org.ID, Name: name + " owner",
		Email: strings.ToLower(strings.ReplaceAll(name, " ", "")) + "-owner@example.com",
		Role:  storage.RoleOwner, PasswordHash: seedHash, CreatedAt: now}
	if err := e.store.CreateOrgWithOwner(context.Background(), org, owner); err != nil {
		e.t.Fatalf("seed org: %v", err)
	}
	return owner, e.token(owner.OrgID, storage.SubjectAgent, owner.ID)
}

// seedAgent stores an agent of orgID with role and returns it with a token.
func (e *env) seedAgent(orgID string, role storage.Role) (storage.Agent, string) {
	e.t.Helper()
	testHasher(e.t)
	id := storage.NewID("agt")
	a := storage.Agent{ID: id, OrgID: orgID, Name: "Agent " + id, Email: id + "@example.com",
		Role: role, PasswordHash: seedHash, CreatedAt: e.clock.Now().Truncate(time.Millisecond)}
	if err := e.store.CreateAgent(context.Background(), a); err != nil {
		e.t.Fatalf("seed agent: %v", err)
	}
	return a, e.token(orgID, storage.SubjectAgent, id)
}

// token starts a session directly and returns its access token.
func (e *env) token(orgID string, kind storage.SubjectKind, subjectID string) string {
	e.t.Helper()
	is, err := e.sessions.Start(context.Background(), security.StartParams{OrgID: orgID, Kind: kind, SubjectID: subjectID})
	if err != nil {
		e.t.Fatalf("start session: %v", err)
	}
	return is.AccessToken
}

// seedWidget stores a widget of orgID allowing origins.
func (e *env) seedWidget(orgID string, origins ...string) storage.Widget {
	e.t.Helper()
	w := storage.Widget{ID: storage.NewID("wdg"), OrgID: orgID, Name: "site",
		PublishableKey: storage.NewID("pk"), AllowedOrigins: origins,
		CreatedAt: e.clock.Now().Truncate(time.Millisecond)}
	if err := e.store.CreateWidget(context.Background(), w); err != nil {
		e.t.Fatalf("seed widget: %v", err)
	}
	return w
}

// seedVisitor stores a visitor of widget w and returns it with a token.
func (e *env) seedVisitor(w storage.Widget) (storage.Visitor, string) {
	e.t.Helper()
	now := e.clock.Now().Truncate(time.Millisecond)
	v := storage.Visitor{ID: storage.NewID("vis"), OrgID: w.OrgID, WidgetID: w.ID, CreatedAt: now, LastSeenAt: now}
	if err := e.store.CreateVisitor(context.Background(), v); err != nil {
		e.t.Fatalf("seed visitor: %v", err)
	}
	return v, e.token(w.OrgID, storage.SubjectVisitor, v.ID)
}

func (e *env) cookieName(base string) string { return httpx.CookieName(base, false) }
