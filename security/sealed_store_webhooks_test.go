package security

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// Endpoint secrets and delivery bodies reach the backend sealed, come
// back opened through the SealedStore, and a body moved onto another
// delivery does not open (it is given up at claim time).
func TestSealedStoreWebhooks(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	ep := storage.WebhookEndpoint{ID: "whk_1", OrgID: e.org, URL: "https://hooks.example/x", Events: []string{"message.created"},
		Secret: "whsec_current", PreviousSecret: "whsec_previous", PreviousSecretUntil: t0.Add(time.Hour), Enabled: true,
		CreatedAt: t0, UpdatedAt: t0}
	if err := e.s.CreateWebhookEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	raw, err := e.raw.GetWebhookEndpoint(ctx, e.org, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw.Secret, "whsec_") || strings.Contains(raw.PreviousSecret, "whsec_") {
		t.Fatalf("backend holds a plain secret: %q %q", raw.Secret, raw.PreviousSecret)
	}
	got, err := e.s.GetWebhookEndpoint(ctx, e.org, ep.ID)
	if err != nil || got.Secret != ep.Secret || got.PreviousSecret != ep.PreviousSecret {
		t.Fatalf("opened endpoint: %#v, %v", got, err)
	}
	body := `{"data":{"visitor":{"email":"ada@example.test"}}}`
	mk := func(id string) storage.WebhookDelivery {
		return storage.WebhookDelivery{ID: id, OrgID: e.org, EndpointID: ep.ID, Event: "message.created", Body: body,
			Status: storage.WebhookPending, NextAttemptAt: t0, CreatedAt: t0}
	}
	if err := e.s.EnqueueWebhookDeliveries(ctx, []storage.WebhookDelivery{mk("whd_1"), mk("whd_2")}); err != nil {
		t.Fatal(err)
	}
	r1, _ := e.raw.GetWebhookDelivery(ctx, e.org, "whd_1")
	if strings.Contains(r1.Body, "ada@") {
		t.Fatalf("backend holds a plain body: %q", r1.Body)
	}
	// Move whd_1's sealed body onto whd_2 in the backend.
	r2, _ := e.raw.GetWebhookDelivery(ctx, e.org, "whd_2")
	if _, err := rawDB(t, e.path).ExecContext(ctx, "UPDATE webhook_deliveries SET body = ? WHERE id = ?", r1.Body, r2.ID); err != nil {
		t.Fatal(err)
	}
	list, err := e.s.ClaimWebhookDeliveries(ctx, t0, time.Minute, 10)
	if err == nil || len(list) != 1 || list[0].ID != "whd_1" || list[0].Body != body {
		t.Fatalf("claim: %v, %v", list, err)
	}
	d2, _ := e.raw.GetWebhookDelivery(ctx, e.org, "whd_2")
	if d2.Status != storage.WebhookDead {
		t.Errorf("a body that does not open left the delivery %s", d2.Status)
	}
}
