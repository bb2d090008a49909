package storetest

import (
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// failOnce enqueues, claims and records one attempt of a new delivery
// to endpoint with effect, at sec.
func failOnce(t *testing.T, s storage.Store, tn tenant, endpoint, id string, sec int, status storage.WebhookStatus,
	effect storage.WebhookEffect) storage.WebhookAttemptResult {
	t.Helper()
	enqueueDeliveries(t, s, newDelivery(tn, endpoint, id, sec))
	got := claimDeliveries(t, s, at(sec), 1)
	if len(got) != 1 || got[0].ID != id {
		t.Fatalf("claim %s: got %v", id, deliveryIDs(got))
	}
	return record(t, s, attemptOf(got[0], sec, status, effect))
}

// testWebhookFailureCount: failures count up, a success resets the
// count, no effect leaves it; reaching DisableAfter disables the endpoint
// once (Disabled reported by that write alone).
func testWebhookFailureCount(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "a")
	createEndpoint(t, s, newEndpoint(a, "whk_1", 0, "message.created"))
	step := 0
	next := func(status storage.WebhookStatus, effect storage.WebhookEffect) storage.WebhookAttemptResult {
		step++
		return failOnce(t, s, a, "whk_1", fmt.Sprintf("whd_%02d", step), step, status, effect)
	}
	for i := 1; i <= 2; i++ {
		res := next(storage.WebhookFailed, storage.WebhookEffectFailure)
		if res.Endpoint.ConsecutiveFailures != i || res.Disabled || !res.Endpoint.Enabled {
			t.Fatalf("failure %d: %#v", i, res)
		}
	}
	if res := next(storage.WebhookDead, storage.WebhookEffectNone); res.Endpoint.ID != "" {
		t.Errorf("no effect returned endpoint %#v", res.Endpoint)
	}
	if res := next(storage.WebhookDelivered, storage.WebhookEffectSuccess); res.Endpoint.ConsecutiveFailures != 0 {
		t.Errorf("success left the count at %d", res.Endpoint.ConsecutiveFailures)
	}
	for i := 1; i <= 2; i++ {
		next(storage.WebhookFailed, storage.WebhookEffectFailure)
	}
	res := next(storage.WebhookFailed, storage.WebhookEffectFailure)
	e := res.Endpoint
	if !res.Disabled || e.Enabled || e.DisabledReason != storage.WebhookDisabledFailures ||
		!e.DisabledAt.Equal(at(step)) || e.ConsecutiveFailures != 3 {
		t.Fatalf("third failure in a row (DisableAfter 3): %#v", res)
	}
	res = next(storage.WebhookFailed, storage.WebhookEffectFailure)
	if res.Disabled || res.Endpoint.ConsecutiveFailures != 4 || res.Endpoint.DisabledReason != storage.WebhookDisabledFailures {
		t.Errorf("a failure after disabling: %#v", res)
	}
	got, err := s.GetWebhookEndpoint(ctx(t), a.org.ID, "whk_1")
	ok(t, err, "get")
	if got.Enabled || got.ConsecutiveFailures != 4 {
		t.Errorf("stored endpoint: %#v", got)
	}
}

// testWebhookGone: a 410 disables the endpoint at once.
func testWebhookGone(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "a")
	createEndpoint(t, s, newEndpoint(a, "whk_1", 0, "message.created"))
	res := failOnce(t, s, a, "whk_1", "whd_1", 1, storage.WebhookDead, storage.WebhookEffectGone)
	if !res.Disabled || res.Endpoint.Enabled || res.Endpoint.DisabledReason != storage.WebhookDisabledGone {
		t.Errorf("410: %#v", res)
	}
	if res.Delivery.Status != storage.WebhookDead {
		t.Errorf("delivery after 410: %s", res.Delivery.Status)
	}
}

// testWebhookDeliveriesCursor: an endpoint's deliveries page newest
// first, ties broken by id, and only that endpoint's.
func testWebhookDeliveriesCursor(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "a")
	enqueueDeliveries(t, s, newDelivery(a, "whk_1", "whd_a", 1), newDelivery(a, "whk_1", "whd_b", 2),
		newDelivery(a, "whk_1", "whd_c", 2), newDelivery(a, "whk_1", "whd_d", 3), newDelivery(a, "whk_2", "whd_x", 4))
	page, err := s.ListWebhookDeliveries(ctx(t), a.org.ID, "whk_1", nil, 2)
	ok(t, err, "page 1")
	sameList(t, deliveryIDs(page), []string{"whd_d", "whd_c"}, "page 1")
	last := page[len(page)-1]
	page, err = s.ListWebhookDeliveries(ctx(t), a.org.ID, "whk_1",
		&storage.WebhookDeliveryCursor{CreatedAt: last.CreatedAt, ID: last.ID}, 2)
	ok(t, err, "page 2")
	sameList(t, deliveryIDs(page), []string{"whd_b", "whd_a"}, "page 2")
	page, _ = s.ListWebhookDeliveries(ctx(t), a.org.ID, "whk_1",
		&storage.WebhookDeliveryCursor{CreatedAt: at(1), ID: "whd_a"}, 2)
	sameList(t, deliveryIDs(page), nil, "past the end")
	page, _ = s.ListWebhookDeliveries(ctx(t), a.org.ID, "whk_1", nil, 0)
	if len(page) != 4 {
		t.Errorf("default limit returned %d", len(page))
	}
}

// testWebhookForgetVisitor: the visitor's open deliveries lose their body
// and become dead, final ones lose their body and keep their state; other
// visitors' deliveries are untouched.
func testWebhookForgetVisitor(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "a")
	createEndpoint(t, s, newEndpoint(a, "whk_1", 0, "message.created"))
	done := newDelivery(a, "whk_1", "whd_done", 1)
	done.VisitorID = "vis_x"
	enqueueDeliveries(t, s, done)
	claimed := claimDeliveries(t, s, at(1), 1)[0]
	ok2 := attemptOf(claimed, 2, storage.WebhookDelivered, storage.WebhookEffectNone)
	record(t, s, ok2)
	open, other := newDelivery(a, "whk_1", "whd_open", 3), newDelivery(a, "whk_1", "whd_other", 3)
	open.VisitorID, other.VisitorID = "vis_x", "vis_y"
	enqueueDeliveries(t, s, open, other)
	n, err := s.ForgetWebhookVisitor(ctx(t), a.org.ID, "vis_x")
	ok(t, err, "forget")
	if n != 2 {
		t.Errorf("forget changed %d deliveries, want 2", n)
	}
	got, _ := s.GetWebhookDelivery(ctx(t), a.org.ID, "whd_open")
	if got.Body != "" || got.VisitorID != "" || got.Status != storage.WebhookDead || got.LastError != storage.WebhookErasedError {
		t.Errorf("open delivery after forget: %#v", got)
	}
	got, _ = s.GetWebhookDelivery(ctx(t), a.org.ID, "whd_done")
	if got.Body != "" || got.VisitorID != "" || got.Status != storage.WebhookDelivered {
		t.Errorf("delivered delivery after forget: %#v", got)
	}
	got, _ = s.GetWebhookDelivery(ctx(t), a.org.ID, "whd_other")
	same(t, got, other, "other visitor's delivery")
	sameList(t, deliveryIDs(claimDeliveries(t, s, at(10), 10)), []string{"whd_other"}, "claimable after forget")
}

// testWebhookDeleteOld: only final deliveries created before the cut are
// removed, of every organisation.
func testWebhookDeleteOld(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "a"), newTenant(t, s, "b")
	failOnce(t, s, a, "whk_1", "whd_old_done", 1, storage.WebhookDelivered, storage.WebhookEffectNone)
	failOnce(t, s, b, "whk_2", "whd_old_dead", 2, storage.WebhookDead, storage.WebhookEffectNone)
	failOnce(t, s, a, "whk_1", "whd_new_done", 40, storage.WebhookDelivered, storage.WebhookEffectNone)
	failOnce(t, s, a, "whk_1", "whd_old_failed", 3, storage.WebhookFailed, storage.WebhookEffectNone)
	enqueueDeliveries(t, s, newDelivery(a, "whk_1", "whd_old_pending", 4))
	n, err := s.DeleteOldWebhookDeliveries(ctx(t), at(10))
	ok(t, err, "delete old")
	if n != 2 {
		t.Errorf("deleted %d, want 2", n)
	}
	for id, org := range map[string]string{"whd_old_done": a.org.ID, "whd_old_dead": b.org.ID} {
		_, err := s.GetWebhookDelivery(ctx(t), org, id)
		wantErr(t, err, storage.ErrNotFound, id)
	}
	for _, id := range []string{"whd_old_failed", "whd_old_pending", "whd_new_done"} {
		_, err := s.GetWebhookDelivery(ctx(t), a.org.ID, id)
		ok(t, err, id+" kept")
	}
}
