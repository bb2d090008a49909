package redispresence

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// newClient returns a client of a dedicated Redis server that does not
// retry failed commands (outage tests stay fast).
func newClient(t *testing.T, srv *testsvc.RedisServer) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	opts.MaxRetries = -1
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// fakeClock is a settable clock shared by the nodes of a test.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// newDirectory returns node's directory on rdb, closed at the end of the
// test.
func newDirectory(t *testing.T, rdb *redis.Client, node string, opts Options) *Directory {
	t.Helper()
	d := New(rdb, node, opts)
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return d
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// render prints a presence list as "id:status …".
func render(list []hub.Presence) string {
	var b strings.Builder
	for i, p := range list {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.SubjectID + ":" + string(p.Status))
	}
	return b.String()
}

// wantAgents fails unless d lists exactly want ("id:status …").
func wantAgents(t *testing.T, who string, d *Directory, orgID, want string) {
	t.Helper()
	list, err := d.Agents(context.Background(), orgID)
	if err != nil || render(list) != want {
		t.Errorf("%s sees %q (%v), want %q", who, render(list), err, want)
	}
}

// site is a SQLite store with one organisation, its agents and a widget.
type site struct {
	store    *sqlite.Store
	orgID    string
	widgetID string
	agents   []hub.Actor
}

// newSite seeds a fresh store under the test's temporary directory.
func newSite(t *testing.T, agents int) *site {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	now := time.Now().UTC().Truncate(time.Millisecond)
	st := &site{store: s, orgID: storage.NewID("org"), widgetID: storage.NewID("wid")}
	for i := range agents {
		ag := storage.Agent{
			ID: fmt.Sprintf("agt_%d", i), OrgID: st.orgID, Name: "Agent",
			Email: storage.NewID("a") + "@example.com", Role: storage.RoleAgent, CreatedAt: now,
		}
		if i == 0 {
			ag.Role = storage.RoleOwner
			err = s.CreateOrgWithOwner(ctx, storage.Organization{ID: st.orgID, Name: "Org", CreatedAt: now}, ag)
		} else {
			err = s.CreateAgent(ctx, ag)
		}
		must(t, err)
		st.agents = append(st.agents, hub.Actor{OrgID: st.orgID, Kind: storage.SubjectAgent, ID: ag.ID})
	}
	must(t, s.CreateWidget(ctx, storage.Widget{
		ID: st.widgetID, OrgID: st.orgID, Name: "Site", PublishableKey: storage.NewID("pk"), CreatedAt: now,
	}))
	return st
}

// visitor returns a new visitor of the site's organisation.
func (s *site) visitor() hub.Actor {
	return hub.Actor{OrgID: s.orgID, Kind: storage.SubjectVisitor, ID: storage.NewID("vis")}
}

// jsonCodec encodes events as JSON.
type jsonCodec struct{}

func (jsonCodec) Encode(e hub.Event) ([]byte, error) { return json.Marshal(e) }

// recorder is a Subscriber keeping the decoded events.
type recorder struct {
	mu     sync.Mutex
	events []hub.Event
}

func (r *recorder) Deliver(f hub.Frame) {
	var e hub.Event
	if err := json.Unmarshal(f.Data, &e); err != nil {
		panic(err)
	}
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// presence renders the presence events received as "id:status …".
func (r *recorder) presence() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var list []hub.Presence
	for _, e := range r.events {
		if e.Type == hub.EventPresence {
			list = append(list, *e.Presence)
		}
	}
	return render(list)
}
