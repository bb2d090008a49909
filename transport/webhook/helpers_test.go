package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
	"github.com/helpr-chat/helpr/transport/mail"
)

// t0 is the tests' clock origin.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mailbox is a Mailer that keeps what it is given.
type mailbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (m *mailbox) Enqueue(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
	return nil
}

func (m *mailbox) all() []mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mail.Message(nil), m.msgs...)
}

// env is a dispatcher over a sealed SQLite store with one organisation
// (owner ada@acme.test) and a fake clock.
type env struct {
	t      *testing.T
	path   string
	cipher *security.FieldCipher
	raw    *sqlite.Store
	store  *security.SealedStore
	clock  *clock
	mail   *mailbox
	d      *Dispatcher
	org    string
}

// newEnv opens the store and a dispatcher allowing 127.0.0.1 (unless
// adjust changes AllowHosts).
func newEnv(t *testing.T, adjust ...func(*Config)) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "helpr.db")
	ring, err := security.NewKeyring(t0)
	if err != nil {
		t.Fatal(err)
	}
	cipher, err := security.NewFieldCipher(ring)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, path: path, cipher: cipher, clock: &clock{t: t0}, mail: &mailbox{}, org: "org_acme"}
	e.open()
	org := storage.Organization{ID: e.org, Name: "Acme", CreatedAt: t0}
	owner := storage.Agent{ID: "agt_ada", OrgID: e.org, Name: "Ada", Email: "ada@acme.test", Role: storage.RoleOwner,
		PasswordHash: "x", CreatedAt: t0}
	if err := e.store.CreateOrgWithOwner(t.Context(), org, owner); err != nil {
		t.Fatal(err)
	}
	admin := storage.Agent{ID: "agt_bob", OrgID: e.org, Name: "Bob", Email: "bob@acme.test", Role: storage.RoleAdmin,
		PasswordHash: "x", CreatedAt: t0}
	if err := e.store.CreateAgent(t.Context(), admin); err != nil {
		t.Fatal(err)
	}
	e.d = e.dispatcher(adjust...)
	return e
}

// open (re)opens the SQLite file under the env's keyring.
func (e *env) open() {
	e.t.Helper()
	raw, err := sqlite.Open(context.Background(), e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = raw.Close() })
	e.raw, e.store = raw, security.NewSealedStore(raw, e.cipher)
}

// restart closes the store and opens it again with a new dispatcher,
// as a process restart does.
func (e *env) restart(adjust ...func(*Config)) {
	e.t.Helper()
	if err := e.raw.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
	e.d = e.dispatcher(adjust...)
}

func (e *env) config(adjust ...func(*Config)) Config {
	cfg := Config{Store: e.store, Mailer: e.mail, Now: e.clock.Now, AllowHosts: []string{"127.0.0.1"},
		Timeout: 2 * time.Second, Workers: 1, PublicOrigin: "https://helpr.example",
		Backoff: func(int) time.Duration { return time.Minute }}
	for _, f := range adjust {
		f(&cfg)
	}
	return cfg
}

func (e *env) dispatcher(adjust ...func(*Config)) *Dispatcher {
	e.t.Helper()
	d, err := New(e.config(adjust...))
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// endpoint stores an enabled endpoint at url subscribed to events.
func (e *env) endpoint(url string, events ...string) storage.WebhookEndpoint {
	e.t.Helper()
	ep := storage.WebhookEndpoint{ID: storage.NewID("whk"), OrgID: e.org, URL: url, Events: events,
		Secret: NewSecret(), Enabled: true, CreatedBy: "agt_ada", CreatedAt: t0, UpdatedAt: t0}
	if err := e.store.CreateWebhookEndpoint(e.t.Context(), ep); err != nil {
		e.t.Fatal(err)
	}
	e.d.Invalidate(e.org)
	return ep
}

// emit emits event with data and fails the test on error.
func (e *env) emit(event string, data any) {
	e.t.Helper()
	if err := e.d.Emit(e.t.Context(), e.org, event, data); err != nil {
		e.t.Fatalf("emit %s: %v", event, err)
	}
}

// drain sends what is due now and returns the attempt count.
func (e *env) drain() int { return e.d.Drain(e.t.Context()) }

// deliveries returns the endpoint's deliveries, newest first.
func (e *env) deliveries(endpointID string) []storage.WebhookDelivery {
	e.t.Helper()
	list, err := e.store.ListWebhookDeliveries(e.t.Context(), e.org, endpointID, nil, 200)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// getEndpoint reads an endpoint back.
func (e *env) getEndpoint(id string) storage.WebhookEndpoint {
	e.t.Helper()
	ep, err := e.store.GetWebhookEndpoint(e.t.Context(), e.org, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ep
}

// audits returns the organisation's audit events with action.
func (e *env) audits(action string) []storage.AuditEvent {
	e.t.Helper()
	list, err := e.store.QueryAudit(e.t.Context(), e.org, storage.AuditQuery{Action: action})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is an httptest server on 127.0.0.1 answering with answer
// (200 when nil) and recording requests.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	count  atomic.Int64
	answer atomic.Value // func(w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, 0, 512)
		buf := make([]byte, 512)
		for {
			n, err := r.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
		rc.mu.Lock()
		rc.got = append(rc.got, received{header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
		rc.count.Add(1)
		if f, ok := rc.answer.Load().(func(http.ResponseWriter, *http.Request)); ok && f != nil {
			f(w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// status makes the receiver answer code.
func (rc *receiver) status(code int) {
	rc.answer.Store(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) })
}

func (rc *receiver) handle(f func(http.ResponseWriter, *http.Request)) { rc.answer.Store(f) }

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
