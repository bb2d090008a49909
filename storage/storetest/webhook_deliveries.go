package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// webhookLease is the lease the cases claim with.
const webhookLease = time.Minute

var zeroTime time.Time

// newDelivery returns a pending delivery of tn to endpoint, created and
// due at sec.
func newDelivery(tn tenant, endpoint, id string, sec int) storage.WebhookDelivery {
	return storage.WebhookDelivery{ID: id, OrgID: tn.org.ID, EndpointID: endpoint, Event: "message.created",
		Body: `{"id":"` + id + `"}`, Status: storage.WebhookPending, NextAttemptAt: at(sec), CreatedAt: at(sec)}
}

func enqueueDeliveries(t *testing.T, s storage.Store, ds ...storage.WebhookDelivery) {
	t.Helper()
	ok(t, s.EnqueueWebhookDeliveries(ctx(t), ds), "enqueue deliveries")
}

func claimDeliveries(t *testing.T, s storage.Store, now time.Time, limit int) []storage.WebhookDelivery {
	t.Helper()
	got, err := s.ClaimWebhookDeliveries(ctx(t), now, webhookLease, limit)
	ok(t, err, "claim deliveries")
	return got
}

func deliveryIDs(list []storage.WebhookDelivery) []string {
	return ids(list, func(d storage.WebhookDelivery) string { return d.ID })
}

// record stores an attempt and fails the test on error.
func record(t *testing.T, s storage.Store, a storage.WebhookAttempt) storage.WebhookAttemptResult {
	t.Helper()
	res, err := s.RecordWebhookAttempt(ctx(t), a)
	ok(t, err, "record attempt")
	return res
}

// attemptOf returns an attempt of claimed delivery d at sec.
func attemptOf(d storage.WebhookDelivery, sec int, status storage.WebhookStatus, effect storage.WebhookEffect) storage.WebhookAttempt {
	a := storage.WebhookAttempt{OrgID: d.OrgID, DeliveryID: d.ID, Attempt: d.Attempts, At: at(sec), Status: status,
		StatusCode: 500, LatencyMs: 12, Error: "HTTP 500", Effect: effect, DisableAfter: 3}
	if status == storage.WebhookFailed {
		a.NextAttemptAt = at(sec + 30)
	}
	return a
}

// testWebhookEnqueueAllOrNone: a batch with a taken id stores nothing;
// a bad delivery is refused.
func testWebhookEnqueueAllOrNone(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "a")
	enqueueDeliveries(t, s, newDelivery(a, "whk_1", "whd_1", 1))
	err := s.EnqueueWebhookDeliveries(ctx(t), []storage.WebhookDelivery{newDelivery(a, "whk_1", "whd_2", 1),
		newDelivery(a, "whk_1", "whd_1", 1), newDelivery(a, "whk_1", "whd_3", 1)})
	wantErr(t, err, storage.ErrConflict, "batch with a taken id")
	for _, id := range []string{"whd_2", "whd_3"} {
		_, err := s.GetWebhookDelivery(ctx(t), a.org.ID, id)
		wantErr(t, err, storage.ErrNotFound, id+" of the refused batch")
	}
	bad := newDelivery(a, "whk_1", "whd_4", 1)
	bad.Status = storage.WebhookDelivered
	if err := s.EnqueueWebhookDeliveries(ctx(t), []storage.WebhookDelivery{bad}); err == nil {
		t.Error("a delivered delivery was enqueued")
	}
	got, err := s.GetWebhookDelivery(ctx(t), a.org.ID, "whd_1")
	ok(t, err, "get")
	same(t, got, newDelivery(a, "whk_1", "whd_1", 1), "stored delivery")
}

// testWebhookClaimLease: claims come earliest first, with one more
// attempt and the lease set; a leased delivery is claimed again only
// after the lease; a future one only when due.
func testWebhookClaimLease(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "a")
	enqueueDeliveries(t, s, newDelivery(a, "whk_1", "whd_late", 3), newDelivery(a, "whk_1", "whd_early", 1),
		newDelivery(a, "whk_1", "whd_future", 100))
	sameList(t, deliveryIDs(claimDeliveries(t, s, at(5), 0)), nil, "limit 0")
	got := claimDeliveries(t, s, at(5), 10)
	sameList(t, deliveryIDs(got), []string{"whd_early", "whd_late"}, "first claim")
	want := newDelivery(a, "whk_1", "whd_early", 1)
	want.Attempts, want.LeaseUntil = 1, at(5).Add(webhookLease)
	same(t, got[0], want, "claimed delivery")
	sameList(t, deliveryIDs(claimDeliveries(t, s, at(64), 10)), nil, "inside the lease")
	again := claimDeliveries(t, s, at(65), 10)
	sameList(t, deliveryIDs(again), []string{"whd_early", "whd_late"}, "after the lease")
	if again[0].Attempts != 2 {
		t.Errorf("attempts after the second claim = %d, want 2", again[0].Attempts)
	}
	sameList(t, deliveryIDs(claimDeliveries(t, s, at(100), 10)), []string{"whd_future"}, "future when due")
	if _, err := s.ClaimWebhookDeliveries(ctx(t), at(5), 0, 1); err == nil {
		t.Error("zero lease accepted")
	}
}

// testWebhookClaimRace: claimers racing over a backlog never get one
// delivery twice, and between them get every delivery.
func testWebhookClaimRace(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "a")
	const n, claimers = 30, 8
	var ds []storage.WebhookDelivery
	for i := range n {
		ds = append(ds, newDelivery(a, "whk_1", fmt.Sprintf("whd_%02d", i), 0))
	}
	enqueueDeliveries(t, s, ds...)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range claimers {
		wg.Go(func() {
			<-start
			for {
				got, err := s.ClaimWebhookDeliveries(ctx(t), at(1), webhookLease, 3)
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if len(seen) != n {
		t.Errorf("claimed %d distinct deliveries, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("delivery %s claimed %d times under one lease", id, c)
		}
	}
}

// testWebhookRecord: a failed attempt makes the delivery due at its
// retry time; a stale claim's record is ErrConflict; a delivered one is
// final (never claimed, never recorded again).
func testWebhookRecord(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "a")
	createEndpoint(t, s, newEndpoint(a, "whk_1", 0, "message.created"))
	enqueueDeliveries(t, s, newDelivery(a, "whk_1", "whd_1", 1))
	first := claimDeliveries(t, s, at(2), 1)[0]
	res := record(t, s, attemptOf(first, 3, storage.WebhookFailed, storage.WebhookEffectNone))
	d := res.Delivery
	if d.Status != storage.WebhookFailed || !d.NextAttemptAt.Equal(at(33)) || !d.LeaseUntil.IsZero() ||
		d.LastStatusCode != 500 || d.LastLatencyMs != 12 || d.LastError != "HTTP 500" {
		t.Errorf("after a failed attempt: %#v", d)
	}
	_, err := s.RecordWebhookAttempt(ctx(t), attemptOf(first, 4, storage.WebhookFailed, storage.WebhookEffectNone))
	wantErr(t, err, storage.ErrConflict, "a second record of one claim")
	sameList(t, deliveryIDs(claimDeliveries(t, s, at(32), 1)), nil, "before the retry time")
	second := claimDeliveries(t, s, at(33), 1)[0]
	_, err = s.RecordWebhookAttempt(ctx(t), attemptOf(first, 34, storage.WebhookDelivered, storage.WebhookEffectNone))
	wantErr(t, err, storage.ErrConflict, "stale claim")
	ok2 := attemptOf(second, 35, storage.WebhookDelivered, storage.WebhookEffectNone)
	ok2.StatusCode, ok2.Error = 204, ""
	d = record(t, s, ok2).Delivery
	if d.Status != storage.WebhookDelivered || !d.DeliveredAt.Equal(at(35)) || d.Attempts != 2 {
		t.Errorf("after delivery: %#v", d)
	}
	_, err = s.RecordWebhookAttempt(ctx(t), ok2)
	wantErr(t, err, storage.ErrConflict, "record a final delivery")
	sameList(t, deliveryIDs(claimDeliveries(t, s, at(1000), 1)), nil, "delivered is never claimed")
	_, err = s.RecordWebhookAttempt(ctx(t), storage.WebhookAttempt{OrgID: a.org.ID, DeliveryID: "whd_none",
		Attempt: 1, At: at(5), Status: storage.WebhookDead})
	wantErr(t, err, storage.ErrNotFound, "unknown delivery")
}
