package webhook

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// Deliveries pending at a restart — queued and never attempted, or
// claimed by a process that died mid-send — are sent by a new Dispatcher
// on the same SQLite file (the latter once its lease ends).
func TestPendingDeliveriesSentAfterRestart(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	ep := e.endpoint(rc.srv.URL, "message.created")
	e.emit("message.created", map[string]any{"n": "queued"})
	e.emit("message.created", map[string]any{"n": "in flight"})
	// The dying process claims one delivery and never records it.
	claimed, err := e.store.ClaimWebhookDeliveries(t.Context(), e.clock.Now(), time.Minute, 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	e.restart()
	if n := e.drain(); n != 1 {
		t.Fatalf("after restart sent %d, want the unclaimed 1", n)
	}
	e.clock.Add(time.Minute)
	if n := e.drain(); n != 1 {
		t.Fatalf("after the lease sent %d, want 1", n)
	}
	for _, d := range e.deliveries(ep.ID) {
		if d.Status != storage.WebhookDelivered {
			t.Errorf("delivery %s is %s", d.ID, d.Status)
		}
	}
	if rc.count.Load() != 2 {
		t.Errorf("receiver got %d", rc.count.Load())
	}
}

// Run's workers pick up what Emit queues without a Drain call, and stop
// when the context ends.
func TestRunDeliversEmitted(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Workers = 2; c.Poll = 20 * time.Millisecond })
	rc := newReceiver(t)
	e.endpoint(rc.srv.URL, "message.created")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { e.d.Run(ctx); close(done) }()
	for range 5 {
		e.emit("message.created", map[string]any{"n": 1})
	}
	deadline := time.Now().Add(5 * time.Second)
	for rc.count.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if rc.count.Load() != 5 {
		t.Fatalf("receiver got %d of 5", rc.count.Load())
	}
}

// ForgetVisitor removes the visitor's data from pending bodies: nothing
// of it is sent afterwards, and the stored bodies are gone.
func TestForgetVisitorRemovesPendingPII(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	ep := e.endpoint(rc.srv.URL, "message.created", "visitor.updated")
	e.emit("visitor.updated", map[string]any{"id": "vis_ada", "email": "ada@private.example"})
	e.emit("message.created", map[string]any{"conversation": map[string]any{"visitor_id": "vis_ada"}, "text": "my card is 4242"})
	e.emit("message.created", map[string]any{"visitor_id": "vis_bob", "text": "hi"})
	if err := e.d.ForgetVisitor(t.Context(), e.org, "vis_ada"); err != nil {
		t.Fatal(err)
	}
	e.drain()
	for _, r := range rc.requests() {
		if strings.Contains(string(r.body), "ada@") || strings.Contains(string(r.body), "4242") {
			t.Errorf("erased visitor's data sent: %s", r.body)
		}
	}
	if rc.count.Load() != 1 {
		t.Errorf("receiver got %d requests, want only vis_bob's", rc.count.Load())
	}
	for _, d := range e.deliveries(ep.ID) {
		raw, _ := e.raw.GetWebhookDelivery(t.Context(), e.org, d.ID)
		if d.VisitorID == "vis_ada" || (d.Status == storage.WebhookDead && (raw.Body != "" || d.LastError != storage.WebhookErasedError)) {
			t.Errorf("delivery after erasure: %#v", d)
		}
	}
	var dead storage.WebhookDelivery
	for _, d := range e.deliveries(ep.ID) {
		if d.Status == storage.WebhookDead {
			dead = d
		}
	}
	if _, err := e.d.Redeliver(t.Context(), e.org, dead.ID); !errors.Is(err, ErrErased) {
		t.Errorf("redeliver of an erased delivery: %v", err)
	}
}

// countingStore counts endpoint list reads.
type countingStore struct {
	*security.SealedStore
	lists atomic.Int64
}

func (c *countingStore) ListWebhookEndpoints(ctx context.Context, orgID string) ([]storage.WebhookEndpoint, error) {
	c.lists.Add(1)
	return c.SealedStore.ListWebhookEndpoints(ctx, orgID)
}

// Emit for an organisation without subscribers reads the store once per
// cache TTL; Invalidate makes the next Emit read again and see a new
// endpoint.
func TestEmitCachedWhenNoSubscriber(t *testing.T) {
	e := newEnv(t)
	cs := &countingStore{SealedStore: e.store}
	e.d = e.dispatcher(func(c *Config) { c.Store = cs; c.CacheTTL = time.Hour })
	for range 1000 {
		e.emit("message.created", map[string]any{"n": 1})
	}
	if n := cs.lists.Load(); n != 1 {
		t.Fatalf("1000 emits read the endpoints %d times", n)
	}
	rc := newReceiver(t)
	ep := e.endpoint(rc.srv.URL, "message.created") // calls Invalidate
	e.emit("message.created", map[string]any{"n": 2})
	if n := cs.lists.Load(); n != 2 || len(e.deliveries(ep.ID)) != 1 {
		t.Fatalf("after Invalidate: %d reads, %d deliveries", n, len(e.deliveries(ep.ID)))
	}
}

// Test queues a webhook.test delivery (sent even to a disabled endpoint);
// Redeliver queues a new delivery with the same event and data.
func TestTestAndRedeliver(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	ep := e.endpoint(rc.srv.URL, "message.created")
	ep.Enabled, ep.DisabledReason = false, storage.WebhookDisabledManual
	if err := e.store.UpdateWebhookEndpoint(t.Context(), ep); err != nil {
		t.Fatal(err)
	}
	d, err := e.d.Test(t.Context(), e.org, ep.ID)
	if err != nil || d.Event != EventTest || d.Status != storage.WebhookPending {
		t.Fatalf("test: %#v %v", d, err)
	}
	e.drain()
	if rc.count.Load() != 1 || rc.requests()[0].header.Get("X-Helpr-Event") != EventTest {
		t.Fatalf("test delivery not sent")
	}
	re, err := e.d.Redeliver(t.Context(), e.org, d.ID)
	if err != nil || re.ID == d.ID || re.Event != EventTest {
		t.Fatalf("redeliver: %#v %v", re, err)
	}
	e.drain()
	bodies := rc.requests()
	if len(bodies) != 2 || !strings.Contains(string(bodies[1].body), re.ID) ||
		!strings.Contains(string(bodies[1].body), ep.ID) {
		t.Fatalf("redelivered body %s", bodies[len(bodies)-1].body)
	}
	if _, err := e.d.Test(t.Context(), "org_other", ep.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("test of another org's endpoint: %v", err)
	}
	if _, err := e.d.Redeliver(t.Context(), "org_other", d.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("redeliver of another org's delivery: %v", err)
	}
}

// The default schedule spans about a day over DefaultMaxAttempts, each
// wait jittered within ±20 %.
func TestBackoffSchedule(t *testing.T) {
	var total time.Duration
	for n := 1; n < DefaultMaxAttempts; n++ {
		w := backoffWait(n)
		total += w
		for range 20 {
			if j := Backoff(n); j < w*8/10 || j >= w*12/10 {
				t.Fatalf("Backoff(%d) = %v outside ±20%% of %v", n, j, w)
			}
		}
	}
	if backoffWait(1) != 30*time.Second || backoffWait(40) != 4*time.Hour {
		t.Errorf("first %v, cap %v", backoffWait(1), backoffWait(40))
	}
	if total < 22*time.Hour || total > 26*time.Hour {
		t.Errorf("schedule spans %v, want about 24h", total)
	}
}

// Visitor ids are found where the events put them.
func TestVisitorOf(t *testing.T) {
	cases := []struct {
		event string
		data  any
		want  string
	}{
		{"visitor.created", map[string]any{"id": "vis_1"}, "vis_1"},
		{"message.created", map[string]any{"id": "msg_1", "visitor_id": "vis_2"}, "vis_2"},
		{"conversation.closed", map[string]any{"id": "cnv_1", "visitor": map[string]any{"id": "vis_3"}}, "vis_3"},
		{"conversation.created", map[string]any{"conversation": map[string]any{"visitor_id": "vis_4"}}, "vis_4"},
		{"agent.invited", map[string]any{"id": "agt_1"}, ""},
		{"message.created", tagged{}, "vis_5"},
	}
	for _, c := range cases {
		raw, _ := jsonMarshal(c.data)
		if got := visitorOf(c.event, c.data, raw); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.event, c.data, got, c.want)
		}
	}
}

type tagged struct{}

func (tagged) WebhookVisitorID() string { return "vis_5" }

// An attempt cut short by shutdown is due again at once and does not
// count as the endpoint's failure.
func TestShutdownMidSendRetriesAtOnce(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	entered := make(chan struct{}, 1)
	rc.handle(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-r.Context().Done()
	})
	ep := e.endpoint(rc.srv.URL, "message.created")
	e.emit("message.created", map[string]any{"n": 1})
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-entered; cancel() }()
	e.d.Drain(ctx)
	d := e.deliveries(ep.ID)[0]
	if d.Status != storage.WebhookFailed || !d.NextAttemptAt.Equal(t0) || e.getEndpoint(ep.ID).ConsecutiveFailures != 0 {
		t.Fatalf("after shutdown: %#v", d)
	}
	rc.status(http.StatusOK)
	if e.drain() != 1 || e.deliveries(ep.ID)[0].Status != storage.WebhookDelivered {
		t.Fatal("not sent after the restart")
	}
}

// Oversized event data is refused before anything is stored.
func TestEmitRefusesOversizedData(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	ep := e.endpoint(rc.srv.URL, "message.created")
	err := e.d.Emit(t.Context(), e.org, "message.created", map[string]string{"text": strings.Repeat("x", MaxDataBytes)})
	if err == nil || len(e.deliveries(ep.ID)) != 0 {
		t.Fatalf("oversized emit: %v", err)
	}
}

// flakyStore fails endpoint reads with ErrUnavailable while down is set.
type flakyStore struct {
	*security.SealedStore
	down atomic.Bool
}

func (f *flakyStore) GetWebhookEndpoint(ctx context.Context, orgID, id string) (storage.WebhookEndpoint, error) {
	if f.down.Load() {
		return storage.WebhookEndpoint{}, storage.ErrUnavailable
	}
	return f.SealedStore.GetWebhookEndpoint(ctx, orgID, id)
}

// A store failure while loading the endpoint postpones the delivery
// without killing it or counting against the endpoint.
func TestStoreFailurePostponesDelivery(t *testing.T) {
	e := newEnv(t)
	fs := &flakyStore{SealedStore: e.store}
	e.d = e.dispatcher(func(c *Config) { c.Store = fs })
	rc := newReceiver(t)
	ep := e.endpoint(rc.srv.URL, "message.created")
	e.emit("message.created", map[string]any{"n": 1})
	fs.down.Store(true)
	e.drain()
	d := e.deliveries(ep.ID)[0]
	if d.Status != storage.WebhookFailed || d.LastError != "store unavailable" || e.getEndpoint(ep.ID).ConsecutiveFailures != 0 {
		t.Fatalf("after a store failure: %#v", d)
	}
	fs.down.Store(false)
	e.clock.Add(backoffBase)
	if e.drain() != 1 || e.deliveries(ep.ID)[0].Status != storage.WebhookDelivered {
		t.Fatal("not delivered once the store is back")
	}
}

// slowListStore blocks the first endpoint list until release closes.
type slowListStore struct {
	*security.SealedStore
	entered chan struct{}
	release chan struct{}
	once    atomic.Bool
}

func (s *slowListStore) ListWebhookEndpoints(ctx context.Context, orgID string) ([]storage.WebhookEndpoint, error) {
	list, err := s.SealedStore.ListWebhookEndpoints(ctx, orgID)
	if s.once.CompareAndSwap(false, true) {
		close(s.entered)
		<-s.release
	}
	return list, err
}

// A cache fill that an Invalidate overtakes is not cached: the next Emit
// reads again and sees the endpoint created meanwhile.
func TestInvalidateDuringCacheFill(t *testing.T) {
	e := newEnv(t)
	ss := &slowListStore{SealedStore: e.store, entered: make(chan struct{}), release: make(chan struct{})}
	e.d = e.dispatcher(func(c *Config) { c.Store = ss; c.CacheTTL = time.Hour })
	done := make(chan error, 1)
	go func() { done <- e.d.Emit(t.Context(), e.org, "message.created", map[string]any{"n": 0}) }()
	<-ss.entered
	rc := newReceiver(t)
	ep := e.endpoint(rc.srv.URL, "message.created") // Invalidate while the read is in flight
	close(ss.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	e.emit("message.created", map[string]any{"n": 1})
	if n := len(e.deliveries(ep.ID)); n != 1 {
		t.Fatalf("%d deliveries after the overtaken fill, want 1", n)
	}
}
