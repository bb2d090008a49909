package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/transport/webhook"
	"github.com/helpr-chat/helpr/transport/wire"
)

// hookHit is one request a receiver got.
type hookHit struct {
	header http.Header
	body   []byte
}

// receiver is a webhook receiver on a fixed 127.0.0.1 port that can go
// down (its listener closed: connections are refused) and come back up on
// the same port.
type receiver struct {
	t    *testing.T
	addr string
	mu   sync.Mutex
	hits []hookHit
	srv  *http.Server
	more chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, addr: ln.Addr().String(), more: make(chan struct{}, 1)}
	r.serve(ln)
	t.Cleanup(r.down)
	return r
}

func (r *receiver) url() string { return "http://" + r.addr + "/hooks/helpr" }

func (r *receiver) serve(ln net.Listener) {
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits = append(r.hits, hookHit{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		select {
		case r.more <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// down closes the listener and every connection.
func (r *receiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// up listens on the same port again.
func (r *receiver) up() {
	r.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port was ours a moment ago
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatalf("receiver up again on %s: %v", r.addr, err)
	}
	r.serve(ln)
}

func (r *receiver) all() []hookHit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookHit(nil), r.hits...)
}

// await waits until a hit of event arrived and returns it.
func (r *receiver) await(ctx context.Context, event string) hookHit {
	r.t.Helper()
	for {
		for _, h := range r.all() {
			if h.header.Get("X-Helpr-Event") == event {
				return h
			}
		}
		select {
		case <-ctx.Done():
			r.t.Fatalf("receiver never got %s (got %d requests)", event, len(r.all()))
		case <-r.more:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// hookEnvelope is a delivery body.
type hookEnvelope struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	CreatedAt      time.Time       `json:"created_at"`
	OrganizationID string          `json:"organization_id"`
	Data           json.RawMessage `json:"data"`
}

// verifyHit checks the delivery's headers and its signature with an HMAC
// computed here, independently of package webhook, and decodes the body.
func verifyHit(t *testing.T, h hookHit, secret, event, orgID string) hookEnvelope {
	t.Helper()
	var env hookEnvelope
	if err := json.Unmarshal(h.body, &env); err != nil {
		t.Fatalf("%s body %q: %v", event, h.body, err)
	}
	if env.Type != event || env.OrganizationID != orgID || !strings.HasPrefix(env.ID, "whd_") ||
		h.header.Get("X-Helpr-Delivery") != env.ID || h.header.Get("X-Helpr-Event") != event ||
		h.header.Get("Content-Type") != "application/json" || h.header.Get("User-Agent") != "helpr-webhooks/1" {
		t.Fatalf("%s delivery headers %v body %s", event, h.header, h.body)
	}
	sig := h.header.Get("X-Helpr-Signature")
	var ts string
	var sigs []string
	for _, part := range strings.Split(sig, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(unix, 0)).Abs() > 5*time.Minute {
		t.Fatalf("%s signature timestamp %q", event, ts)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(h.body)))
	want := mac.Sum(nil)
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			return env
		}
	}
	t.Fatalf("%s signature %q does not verify with the endpoint's secret", event, sig)
	return env
}

// fastHooks lets loopback receivers in and retries quickly.
func fastHooks(c *Config) {
	c.WebhookAllowHosts = []string{"127.0.0.1"}
	c.webhookTweak = func(wc *webhook.Config) {
		wc.Poll = 50 * time.Millisecond
		wc.Backoff = func(int) time.Duration { return 300 * time.Millisecond }
		wc.MaxAttempts = 1000
	}
}

type hookCreated struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// createHook registers an endpoint at url for events as the tenant's owner.
func (n *node) createHook(tn tenant, url string, events ...string) hookCreated {
	n.t.Helper()
	var h hookCreated
	if code := n.call("POST", "/rest/v1/webhooks", tn.owner.AccessToken,
		map[string]any{"url": url, "events": events}, &h); code != http.StatusCreated {
		n.t.Fatalf("create webhook: status %d", code)
	}
	return h
}

type hookDelivery struct {
	ID       string  `json:"id"`
	Event    string  `json:"event"`
	Status   string  `json:"status"`
	Attempts int     `json:"attempts"`
	Error    *string `json:"last_error"`
}

// deliveries lists the endpoint's delivery log.
func (n *node) deliveries(tn tenant, hookID string) []hookDelivery {
	n.t.Helper()
	var out struct{ Deliveries []hookDelivery }
	if code := n.call("GET", "/rest/v1/webhooks/"+hookID+"/deliveries", tn.owner.AccessToken, nil, &out); code != http.StatusOK {
		n.t.Fatalf("deliveries: status %d", code)
	}
	return out.Deliveries
}

// awaitDelivery polls the log until the delivery of event satisfies ok.
func (n *node) awaitDelivery(ctx context.Context, tn tenant, hookID, event string, ok func(hookDelivery) bool) hookDelivery {
	n.t.Helper()
	for {
		for _, d := range n.deliveries(tn, hookID) {
			if d.Event == event && ok(d) {
				return d
			}
		}
		select {
		case <-ctx.Done():
			n.t.Fatalf("no %s delivery reached the expected state: %+v", event, n.deliveries(tn, hookID))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startHookChat opens a conversation as the visitor over a real WebSocket.
func startHookChat(ctx context.Context, t *testing.T, n *node, tn tenant, visitorToken string) (*client.Conn, wire.Conversation) {
	t.Helper()
	vis := n.dial(ctx, client.Options{Token: visitorToken, AuthFrame: true, WidgetKey: tn.widgetKey, Origin: tn.origin})
	if err := vis.Send(ctx, wire.TypeConversationStart, "start", nil); err != nil {
		t.Fatal(err)
	}
	f, err := vis.Await(ctx, client.Reply("start"))
	if err != nil || f.Type != wire.TypeConversation {
		t.Fatalf("start: %v %s %s", err, f.Type, f.Data)
	}
	var conv wire.Conversation
	if err := f.Decode(&conv); err != nil {
		t.Fatal(err)
	}
	return vis, conv
}

// A visitor's chat reaches a registered receiver as signed
// conversation.created and message.created deliveries.
func TestWebhooksEndToEnd(t *testing.T) {
	ctx := testCtx(t)
	recv := newReceiver(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0", fastHooks)
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	hook := n.createHook(tn, recv.url(), "conversation.created", "message.created",
		"conversation.assigned", "conversation.closed")
	vis, conv := startHookChat(ctx, t, n, tn, n.visitor(tn, "Vera Visitor"))
	ack := send(ctx, t, vis, conv.ID, "v1", "hello, my order is late")

	created := verifyHit(t, recv.await(ctx, "conversation.created"), hook.Secret, "conversation.created", tn.orgID)
	var c struct {
		ID, Status, VisitorID, WidgetID string
		AssigneeID                      *string `json:"assignee_id"`
		ClosedAt                        *string `json:"closed_at"`
	}
	if err := json.Unmarshal(created.Data, &c); err != nil || c.ID != conv.ID || c.Status != "open" || c.ClosedAt != nil {
		t.Fatalf("conversation.created data %s (%v)", created.Data, err)
	}
	msg := verifyHit(t, recv.await(ctx, "message.created"), hook.Secret, "message.created", tn.orgID)
	var m struct {
		ID             string `json:"id"`
		ConversationID string `json:"conversation_id"`
		Seq            int64  `json:"seq"`
		SenderKind     string `json:"sender_kind"`
		Text           string `json:"text"`
	}
	if err := json.Unmarshal(msg.Data, &m); err != nil || m.ConversationID != conv.ID || m.Seq != ack.Seq ||
		m.SenderKind != "visitor" || m.Text != "hello, my order is late" {
		t.Fatalf("message.created data %s (%v)", msg.Data, err)
	}
	// A repeated client id is no new message: no second delivery.
	send(ctx, t, vis, conv.ID, "v1", "hello, my order is late")
	n.awaitDelivery(ctx, tn, hook.ID, "message.created", func(d hookDelivery) bool { return d.Status == "delivered" })
	time.Sleep(300 * time.Millisecond)
	count := 0
	for _, h := range recv.all() {
		if h.header.Get("X-Helpr-Event") == "message.created" {
			count++
		}
	}
	if count != 1 {
		t.Errorf("receiver got %d message.created deliveries, want 1", count)
	}
	// The owner claims and closes it over a WebSocket.
	owner := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})
	for _, typ := range []string{wire.TypeConversationClaim, wire.TypeConversationClose} {
		if err := owner.Send(ctx, typ, typ, wire.ConversationRef{ConversationID: conv.ID}); err != nil {
			t.Fatal(err)
		}
		if f, err := owner.Await(ctx, client.Reply(typ)); err != nil || f.Type != wire.TypeConversation {
			t.Fatalf("%s: %v %s %s", typ, err, f.Type, f.Data)
		}
	}
	assigned := verifyHit(t, recv.await(ctx, "conversation.assigned"), hook.Secret, "conversation.assigned", tn.orgID)
	if err := json.Unmarshal(assigned.Data, &c); err != nil || c.AssigneeID == nil || *c.AssigneeID != tn.ownerID {
		t.Fatalf("conversation.assigned data %s", assigned.Data)
	}
	closed := verifyHit(t, recv.await(ctx, "conversation.closed"), hook.Secret, "conversation.closed", tn.orgID)
	if err := json.Unmarshal(closed.Data, &c); err != nil || c.Status != "closed" || c.ClosedAt == nil {
		t.Fatalf("conversation.closed data %s", closed.Data)
	}
	if strings.Contains(n.logs.String(), hook.Secret) {
		t.Error("the endpoint secret reached the logs")
	}
}

// Without --webhook-allow-hosts a loopback receiver is refused at save time.
func TestWebhooksLoopbackRefusedWithoutAllowHosts(t *testing.T) {
	recv := newReceiver(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	code := n.call("POST", "/rest/v1/webhooks", tn.owner.AccessToken,
		map[string]any{"url": recv.url(), "events": []string{"message.created"}}, &e)
	if code != http.StatusBadRequest || e.Error.Code != "webhook_url_refused" {
		t.Fatalf("loopback endpoint without the flag: %d %q, want 400 webhook_url_refused", code, e.Error.Code)
	}
}

// A delivery that failed while the receiver was down is sent after a
// restart of the server, once the receiver is back.
func TestWebhooksPendingSurviveRestart(t *testing.T) {
	ctx := testCtx(t)
	recv := newReceiver(t)
	dir := t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0", fastHooks)
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	hook := n.createHook(tn, recv.url(), "visitor.created")
	recv.down()
	n.visitor(tn, "Vera Visitor")
	n.awaitDelivery(ctx, tn, hook.ID, "visitor.created", func(d hookDelivery) bool {
		return d.Status == "failed" && d.Attempts >= 1
	})
	addr := n.addr()
	n.stop()
	recv.up()
	n = startNode(t, dir, addr, fastHooks)
	hit := recv.await(ctx, "visitor.created")
	env := verifyHit(t, hit, hook.Secret, "visitor.created", tn.orgID)
	var v struct{ Name *string }
	if err := json.Unmarshal(env.Data, &v); err != nil || v.Name == nil || *v.Name != "Vera Visitor" {
		t.Fatalf("visitor.created data %s", env.Data)
	}
	n.awaitDelivery(ctx, tn, hook.ID, "visitor.created", func(d hookDelivery) bool { return d.Status == "delivered" })
}

// An erased visitor's name and email never reach the receiver: the
// delivery that held them, pending while the receiver was down, is
// stopped by the erasure; visitor.erased carries no PII.
func TestWebhooksErasedVisitorPIINeverSent(t *testing.T) {
	ctx := testCtx(t)
	recv := newReceiver(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0", fastHooks)
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	hook := n.createHook(tn, recv.url(), "visitor.created", "visitor.erased", "conversation.created")
	recv.down()
	const name, email = "Zelda Canaryname", "zelda.canary@example.org"
	var vs struct {
		Token   string `json:"token"`
		Visitor struct{ ID string }
	}
	if code := n.call("POST", "/rest/v1/visitor/sessions", "", map[string]any{
		"publishable_key": tn.widgetKey, "name": name, "email": email,
	}, &vs, "Origin", tn.origin); code != http.StatusCreated {
		t.Fatalf("visitor session: %d", code)
	}
	startHookChat(ctx, t, n, tn, vs.Token)
	for _, ev := range []string{"visitor.created", "conversation.created"} {
		n.awaitDelivery(ctx, tn, hook.ID, ev, func(d hookDelivery) bool { return d.Attempts >= 1 })
	}
	if code := n.call("DELETE", "/rest/v1/visitors/"+vs.Visitor.ID, tn.owner.AccessToken, nil, nil); code != http.StatusNoContent {
		t.Fatalf("erase visitor: %d", code)
	}
	recv.up()
	erased := verifyHit(t, recv.await(ctx, "visitor.erased"), hook.Secret, "visitor.erased", tn.orgID)
	var v struct {
		ID          string
		Name, Email *string
	}
	if err := json.Unmarshal(erased.Data, &v); err != nil || v.ID != vs.Visitor.ID || v.Name != nil || v.Email != nil {
		t.Fatalf("visitor.erased data %s", erased.Data)
	}
	d := n.awaitDelivery(ctx, tn, hook.ID, "visitor.created", func(d hookDelivery) bool { return d.Status == "dead" })
	if d.Error == nil || *d.Error != "visitor erased" {
		t.Errorf("visitor.created delivery after erasure %+v", d)
	}
	n.awaitDelivery(ctx, tn, hook.ID, "conversation.created", func(d hookDelivery) bool { return d.Status == "dead" })
	time.Sleep(500 * time.Millisecond) // several poll rounds: nothing else goes out
	for _, h := range recv.all() {
		for _, pii := range []string{name, email, "Canaryname", "zelda"} {
			if strings.Contains(strings.ToLower(string(h.body)), strings.ToLower(pii)) {
				t.Fatalf("the receiver got %q in a %s delivery: %s", pii, h.header.Get("X-Helpr-Event"), h.body)
			}
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("timed out")
	}
}
