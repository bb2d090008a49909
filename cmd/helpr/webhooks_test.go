package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/internal/metrics"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
	"github.com/helpr-chat/helpr/transport/api"
	"github.com/helpr-chat/helpr/transport/webhook"
)

func TestParseAllowHosts(t *testing.T) {
	got, err := parseAllowHosts(" 127.0.0.1, hooks.internal ,10.0.0.0/8,,::1 ")
	if err != nil || strings.Join(got, "|") != "127.0.0.1|hooks.internal|10.0.0.0/8|::1" {
		t.Fatalf("parse: %v %v", got, err)
	}
	for _, bad := range []string{"http://127.0.0.1", "10.0.0.0/33", "a b", "user@host", "10.0.0.1/x"} {
		if _, err := parseAllowHosts(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	cfg, err := parseServeFlags([]string{"--webhook-allow-hosts", "127.0.0.1"}, func(string) string { return "" })
	if err != nil || len(cfg.WebhookAllowHosts) != 1 {
		t.Fatalf("flag: %v %v", cfg.WebhookAllowHosts, err)
	}
	cfg, err = parseServeFlags(nil, func(k string) string {
		if k == "HELPR_WEBHOOK_ALLOW_HOSTS" {
			return "127.0.0.1,192.168.0.0/16"
		}
		return ""
	})
	if err != nil || len(cfg.WebhookAllowHosts) != 2 {
		t.Fatalf("env: %v %v", cfg.WebhookAllowHosts, err)
	}
}

// A full relay buffer never holds a chat action longer than relayWait:
// the notice is dropped and counted.
func TestWebhookRelayNeverBlocksTheHub(t *testing.T) {
	reg := metrics.NewRegistry()
	logs := &syncBuffer{}
	r := newWebhookRelay(zerolog.New(logs), reg)
	n := hub.Notice{Kind: hub.NoticeConversationCreated, Conversation: storage.Conversation{ID: "cnv_1", OrgID: "org_1"}}
	for range relayBuffer {
		r.notify(context.Background(), n) // nobody drains: fills the buffer
	}
	start := time.Now()
	for range 3 {
		r.notify(context.Background(), n)
	}
	if took := time.Since(start); took > 3*relayWait+time.Second {
		t.Fatalf("3 notices on a full buffer took %v", took)
	}
	if len(r.ch) != relayBuffer {
		t.Fatalf("buffer holds %d, want %d", len(r.ch), relayBuffer)
	}
	if !strings.Contains(logs.String(), "webhook relay buffer full") || strings.Count(logs.String(), "buffer full") != 1 {
		t.Errorf("want one warning, logs %s", logs.String())
	}
	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "helpr_webhook_notices_dropped_total 3") {
		t.Errorf("drop counter: %s", rec.Body.String())
	}
}

func TestNoticePayloadShapes(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := storage.Conversation{ID: "cnv_1", OrgID: "org_1", VisitorID: "vis_1", WidgetID: "wdg_1",
		Status: storage.ConversationOpen, CreatedAt: at}
	data, ok := noticePayload(hub.Notice{Kind: hub.NoticeConversationCreated, Conversation: c})
	raw, _ := json.Marshal(data)
	want := `{"id":"cnv_1","status":"open","visitor_id":"vis_1","widget_id":"wdg_1","assignee_id":null,"created_at":"2026-01-02T03:04:05Z","closed_at":null}`
	if !ok || string(raw) != want {
		t.Errorf("conversation payload %s, want %s", raw, want)
	}
	m := storage.Message{ID: "msg_1", ConversationID: "cnv_1", Seq: 3, SenderKind: storage.SenderVisitor,
		SenderID: "vis_1", Text: "hi", ClientID: "c1", CreatedAt: at}
	data, ok = noticePayload(hub.Notice{Kind: hub.NoticeMessageCreated, Conversation: c, Message: &m})
	raw, _ = json.Marshal(data)
	want = `{"id":"msg_1","conversation_id":"cnv_1","seq":3,"sender_kind":"visitor","sender_id":"vis_1","text":"hi","created_at":"2026-01-02T03:04:05Z"}`
	if !ok || string(raw) != want {
		t.Errorf("message payload %s, want %s", raw, want)
	}
	if v, ok := data.(interface{ WebhookVisitorID() string }); !ok || v.WebhookVisitorID() != "vis_1" {
		t.Error("message payload does not name the conversation's visitor for erasure")
	}
	if _, ok := noticePayload(hub.Notice{Kind: hub.NoticeMessageCreated, Conversation: c}); ok {
		t.Error("message notice without a message has a payload")
	}
	if _, ok := noticePayload(hub.Notice{Kind: "typing"}); ok {
		t.Error("an unknown notice has a payload")
	}
}

// An endpoint change on one node invalidates the endpoint cache of every
// node at once: the other node's next event reaches the new endpoint.
func TestWebhookInvalidationsShared(t *testing.T) {
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "helpr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	ring, err := security.NewKeyring(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cipher, err := security.NewFieldCipher(ring)
	if err != nil {
		t.Fatal(err)
	}
	store := security.NewSealedStore(raw, cipher)
	broker := hub.NewMemoryBroker()
	node := func() (*webhook.Dispatcher, api.Webhooks) {
		d, err := webhook.New(webhook.Config{Store: store, CacheTTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		w, unsub, err := shareInvalidations(d, broker, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(unsub)
		return d, w
	}
	_, a := node()
	b, _ := node()
	const org = "org_1"
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := store.CreateOrgWithOwner(ctx, storage.Organization{ID: org, Name: "Acme", CreatedAt: now},
		storage.Agent{ID: "agt_1", OrgID: org, Name: "Owner", Email: "owner@acme.test", Role: storage.RoleOwner, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := b.Emit(ctx, org, "visitor.created", map[string]string{"id": "vis_1"}); err != nil {
		t.Fatal(err) // caches "no endpoint" on b for an hour
	}
	ep := storage.WebhookEndpoint{ID: "whk_1", OrgID: org, URL: "https://93.184.216.34/x", CreatedBy: "agt_1", Events: []string{"visitor.created"},
		Secret: webhook.NewSecret(), Enabled: true, CreatedAt: now, UpdatedAt: now}
	if err := store.CreateWebhookEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	a.Invalidate(org) // the API on node a after the create
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := b.Emit(ctx, org, "visitor.created", map[string]string{"id": "vis_2"}); err != nil {
			t.Fatal(err)
		}
		ds, err := store.ListWebhookDeliveries(ctx, org, ep.ID, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("node b never saw the endpoint created on node a")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
