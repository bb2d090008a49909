package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/metrics"
	"github.com/helpr-chat/helpr/internal/sealcheck"
	"github.com/helpr-chat/helpr/storage"
)

// Config.Store takes only the sealing store (secrets and bodies are
// sealed there).
func TestConfigStoreTakesOnlyTheSealedStore(t *testing.T) {
	sealcheck.OnlySealedStore(t, Config{}, "Store")
}

// A delivery is POSTed with the documented headers and a signature the
// receiver verifies with its own HMAC computation; it is recorded
// delivered and counted.
func TestDeliverySignedWithHeaders(t *testing.T) {
	reg := metrics.NewRegistry()
	m := NewMetrics(reg)
	e := newEnv(t, func(c *Config) { c.Metrics = m })
	rc := newReceiver(t)
	ep := e.endpoint(rc.srv.URL+"/hook", "message.created")
	e.emit("message.created", map[string]any{"conversation_id": "cnv_1", "text": "hello"})
	e.emit("visitor.created", map[string]any{"id": "vis_1"}) // not subscribed
	if n := e.drain(); n != 1 {
		t.Fatalf("drain attempted %d, want 1", n)
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests", len(reqs))
	}
	r := reqs[0]
	dels := e.deliveries(ep.ID)
	if len(dels) != 1 {
		t.Fatalf("%d deliveries", len(dels))
	}
	d := dels[0]
	for k, want := range map[string]string{"Content-Type": "application/json", "User-Agent": "helpr-webhooks/1",
		"X-Helpr-Delivery": d.ID, "X-Helpr-Event": "message.created"} {
		if got := r.header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	want := fmt.Sprintf("t=%d,v1=%s", t0.Unix(), independentSig(ep.Secret, t0.Unix(), r.body))
	if got := r.header.Get("X-Helpr-Signature"); got != want {
		t.Errorf("signature %q, want %q", got, want)
	}
	if err := Verify(ep.Secret, r.header.Get("X-Helpr-Signature"), r.body, t0, 0); err != nil {
		t.Errorf("Verify: %v", err)
	}
	var env struct {
		ID, Type, CreatedAt, OrganizationID string
		Data                                map[string]any
	}
	dec := json.NewDecoder(strings.NewReader(strings.NewReplacer(`"created_at"`, `"CreatedAt"`,
		`"organization_id"`, `"OrganizationID"`).Replace(string(r.body))))
	if err := dec.Decode(&env); err != nil {
		t.Fatal(err)
	}
	if env.ID != d.ID || env.Type != "message.created" || env.OrganizationID != e.org ||
		env.CreatedAt != "2026-03-01T12:00:00Z" || env.Data["text"] != "hello" {
		t.Errorf("body %s", r.body)
	}
	if d.Status != storage.WebhookDelivered || d.Attempts != 1 || d.LastStatusCode != 200 || !d.DeliveredAt.Equal(t0) {
		t.Errorf("delivery %#v", d)
	}
	if m.Attempts.With("delivered").Value() != 1 || m.Emitted.Value() != 1 {
		t.Errorf("metrics: delivered %d, queued %d", m.Attempts.With("delivered").Value(), m.Emitted.Value())
	}
}

// During a rotation both signatures are sent, each verifying with its
// secret; after the overlap only the new one.
func TestDeliveryDuringRotationCarriesBothSignatures(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	ep := e.endpoint(rc.srv.URL, "message.created")
	old := ep.Secret
	ep.PreviousSecret, ep.PreviousSecretUntil, ep.Secret = old, t0.Add(time.Hour), NewSecret()
	if err := e.store.UpdateWebhookEndpoint(t.Context(), ep); err != nil {
		t.Fatal(err)
	}
	e.emit("message.created", map[string]any{"n": 1})
	e.drain()
	r := rc.requests()[0]
	h := r.header.Get("X-Helpr-Signature")
	if strings.Count(h, "v1=") != 2 {
		t.Fatalf("header %q has not two signatures", h)
	}
	for _, s := range []string{old, ep.Secret} {
		if !strings.Contains(h, "v1="+independentSig(s, t0.Unix(), r.body)) {
			t.Errorf("no signature of one secret in %q", h)
		}
	}
	e.clock.Add(time.Hour)
	e.emit("message.created", map[string]any{"n": 2})
	e.drain()
	r = rc.requests()[1]
	h = r.header.Get("X-Helpr-Signature")
	if strings.Count(h, "v1=") != 1 || Verify(old, h, r.body, e.clock.Now(), 0) == nil ||
		Verify(ep.Secret, h, r.body, e.clock.Now(), 0) != nil {
		t.Errorf("after the overlap: %q", h)
	}
}

// failing makes the next delivery attempt of the only delivery due: the
// clock moves past the (one-minute) backoff.
func (e *env) retry() int {
	e.clock.Add(time.Minute)
	return e.drain()
}

// 99 failures leave the endpoint enabled, a success resets the count,
// and the 100th failure in a row disables it, mails the owner (only) and
// audits webhook.disabled.
func TestHundredConsecutiveFailuresDisable(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxAttempts = 1000 })
	rc := newReceiver(t)
	rc.status(http.StatusInternalServerError)
	ep := e.endpoint(rc.srv.URL, "message.created")
	e.emit("message.created", map[string]any{"n": 1})
	e.drain()
	for range 98 {
		e.retry()
	}
	if got := e.getEndpoint(ep.ID); got.ConsecutiveFailures != 99 || !got.Enabled {
		t.Fatalf("after 99 failures: %d failures, enabled %v", got.ConsecutiveFailures, got.Enabled)
	}
	rc.status(http.StatusNoContent)
	e.retry()
	if got := e.getEndpoint(ep.ID); got.ConsecutiveFailures != 0 {
		t.Fatalf("a success left %d failures", got.ConsecutiveFailures)
	}
	rc.status(http.StatusBadGateway)
	e.emit("message.created", map[string]any{"n": 2})
	e.drain()
	for range 98 {
		e.retry()
	}
	if got := e.getEndpoint(ep.ID); got.ConsecutiveFailures != 99 || !got.Enabled || len(e.mail.all()) != 0 {
		t.Fatalf("after 99 more: %d failures, enabled %v", got.ConsecutiveFailures, got.Enabled)
	}
	e.retry()
	got := e.getEndpoint(ep.ID)
	if got.Enabled || got.DisabledReason != storage.WebhookDisabledFailures || got.ConsecutiveFailures != 100 {
		t.Fatalf("after the 100th failure: %#v", got)
	}
	e.emit("message.created", map[string]any{"n": 3})
	e.clock.Add(time.Hour)
	before := rc.count.Load()
	e.drain()
	if rc.count.Load() != before {
		t.Error("a disabled endpoint was still sent to")
	}
	msgs := e.mail.all()
	if len(msgs) != 1 || msgs[0].To != "ada@acme.test" || msgs[0].Kind != KindWebhookDisabled ||
		!strings.Contains(msgs[0].Text, ep.ID) || !strings.Contains(msgs[0].Text, "100 consecutive") {
		t.Fatalf("mails %#v", msgs)
	}
	aud := e.audits("webhook.disabled")
	if len(aud) != 1 || aud[0].TargetID != ep.ID || aud[0].Seq == 0 || aud[0].Hash == "" {
		t.Fatalf("audit %#v", aud)
	}
	if strings.Contains(aud[0].Detail, ep.Secret) || strings.Contains(aud[0].Detail, ep.URL) {
		t.Errorf("audit detail leaks: %q", aud[0].Detail)
	}
}

// A 410 disables the endpoint at once; the delivery is dead.
func TestGoneDisablesAtOnce(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	rc.status(http.StatusGone)
	ep := e.endpoint(rc.srv.URL, "message.created")
	e.emit("message.created", map[string]any{"n": 1})
	e.drain()
	got := e.getEndpoint(ep.ID)
	if got.Enabled || got.DisabledReason != storage.WebhookDisabledGone {
		t.Fatalf("after 410: %#v", got)
	}
	if d := e.deliveries(ep.ID)[0]; d.Status != storage.WebhookDead || d.LastStatusCode != 410 {
		t.Errorf("delivery %#v", d)
	}
	if len(e.mail.all()) != 1 || len(e.audits("webhook.disabled")) != 1 {
		t.Errorf("mails %d, audits %d", len(e.mail.all()), len(e.audits("webhook.disabled")))
	}
}

// Failed attempts back off, and after MaxAttempts the delivery is dead.
func TestRetriesThenDead(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxAttempts = 3 })
	rc := newReceiver(t)
	rc.status(http.StatusServiceUnavailable)
	ep := e.endpoint(rc.srv.URL, "message.created")
	e.emit("message.created", map[string]any{"n": 1})
	e.drain()
	d := e.deliveries(ep.ID)[0]
	if d.Status != storage.WebhookFailed || !d.NextAttemptAt.Equal(t0.Add(time.Minute)) || d.LastError == "" {
		t.Fatalf("after one failure: %#v", d)
	}
	if e.drain() != 0 {
		t.Fatal("retried before the backoff")
	}
	e.retry()
	e.retry()
	if d := e.deliveries(ep.ID)[0]; d.Status != storage.WebhookDead || d.Attempts != 3 {
		t.Fatalf("after 3 attempts: %#v", d)
	}
	if e.retry() != 0 || rc.count.Load() != 3 {
		t.Errorf("a dead delivery was attempted again (%d requests)", rc.count.Load())
	}
}
