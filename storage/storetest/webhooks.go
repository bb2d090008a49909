package storetest

import (
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var webhookCases = []testCase{
	{"Webhooks/EndpointRoundTrip", testWebhookEndpointRoundTrip},
	{"Webhooks/EndpointUpdateDelete", testWebhookEndpointUpdateDelete},
	{"Webhooks/EndpointsForEvent", testWebhookEndpointsForEvent},
	{"Webhooks/Tenancy", testWebhookTenancy},
	{"Webhooks/EnqueueAllOrNone", testWebhookEnqueueAllOrNone},
	{"Webhooks/ClaimOrderAndLease", testWebhookClaimLease},
	{"Webhooks/ConcurrentClaimersNeverShare", testWebhookClaimRace},
	{"Webhooks/RecordFencedAndFinal", testWebhookRecord},
	{"Webhooks/FailureCountResetAndDisable", testWebhookFailureCount},
	{"Webhooks/GoneDisablesAtOnce", testWebhookGone},
	{"Webhooks/DeliveriesCursor", testWebhookDeliveriesCursor},
	{"Webhooks/ForgetVisitor", testWebhookForgetVisitor},
	{"Webhooks/DeleteOld", testWebhookDeleteOld},
}

// newEndpoint returns an enabled endpoint of tn subscribed to events,
// created at sec.
func newEndpoint(tn tenant, id string, sec int, events ...string) storage.WebhookEndpoint {
	return storage.WebhookEndpoint{ID: id, OrgID: tn.org.ID, URL: "https://hooks.example/" + id,
		Description: "desc " + id, Events: events, Secret: "whsec_" + id, Enabled: true,
		CreatedBy: tn.owner.ID, CreatedAt: at(sec), UpdatedAt: at(sec)}
}

// createEndpoint stores e and fails the test on error.
func createEndpoint(t *testing.T, s storage.Store, e storage.WebhookEndpoint) storage.WebhookEndpoint {
	t.Helper()
	ok(t, s.CreateWebhookEndpoint(ctx(t), e), "create endpoint "+e.ID)
	return e
}

func endpointIDs(list []storage.WebhookEndpoint) []string {
	return ids(list, func(e storage.WebhookEndpoint) string { return e.ID })
}

// testWebhookEndpointRoundTrip: every field comes back as stored; lists
// are oldest first; a taken id is ErrConflict, a bad endpoint refused.
func testWebhookEndpointRoundTrip(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "a")
	e := newEndpoint(a, "whk_1", 5, "message.created", "conversation.closed")
	e.PreviousSecret, e.PreviousSecretUntil = "whsec_old", at(99)
	createEndpoint(t, s, e)
	createEndpoint(t, s, newEndpoint(a, "whk_0", 7))
	got, err := s.GetWebhookEndpoint(ctx(t), a.org.ID, "whk_1")
	ok(t, err, "get endpoint")
	same(t, got, e, "endpoint")
	list, err := s.ListWebhookEndpoints(ctx(t), a.org.ID)
	ok(t, err, "list endpoints")
	sameList(t, endpointIDs(list), []string{"whk_1", "whk_0"}, "list order")
	if list[1].Events != nil {
		t.Errorf("no events read back as %#v, want nil", list[1].Events)
	}
	wantErr(t, s.CreateWebhookEndpoint(ctx(t), e), storage.ErrConflict, "taken id")
	bad := newEndpoint(a, "whk_2", 8)
	bad.Secret = ""
	if err := s.CreateWebhookEndpoint(ctx(t), bad); err == nil {
		t.Error("endpoint without a secret stored")
	}
	_, err = s.GetWebhookEndpoint(ctx(t), a.org.ID, "whk_none")
	wantErr(t, err, storage.ErrNotFound, "unknown endpoint")
}

// testWebhookEndpointUpdateDelete: an update replaces every mutable field
// and keeps creator and creation; a delete removes the endpoint and its
// deliveries.
func testWebhookEndpointUpdateDelete(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "a")
	e := createEndpoint(t, s, newEndpoint(a, "whk_1", 5, "message.created"))
	e.URL, e.Description, e.Events = "https://other.example/x", "new", []string{"visitor.created"}
	e.Secret, e.PreviousSecret, e.PreviousSecretUntil = "whsec_new", "whsec_whk_1", at(50)
	e.Enabled, e.DisabledReason, e.DisabledAt, e.ConsecutiveFailures = false, storage.WebhookDisabledManual, at(9), 3
	e.UpdatedAt = at(9)
	ok(t, s.UpdateWebhookEndpoint(ctx(t), e), "update")
	got, err := s.GetWebhookEndpoint(ctx(t), a.org.ID, e.ID)
	ok(t, err, "get")
	same(t, got, e, "updated endpoint")
	e.PreviousSecret, e.PreviousSecretUntil, e.DisabledAt, e.DisabledReason, e.Enabled = "", zeroTime, zeroTime, "", true
	ok(t, s.UpdateWebhookEndpoint(ctx(t), e), "clear times")
	got, _ = s.GetWebhookEndpoint(ctx(t), a.org.ID, e.ID)
	same(t, got, e, "cleared endpoint")
	enqueueDeliveries(t, s, newDelivery(a, e.ID, "whd_1", 10))
	ok(t, s.DeleteWebhookEndpoint(ctx(t), a.org.ID, e.ID), "delete")
	_, err = s.GetWebhookEndpoint(ctx(t), a.org.ID, e.ID)
	wantErr(t, err, storage.ErrNotFound, "deleted endpoint")
	_, err = s.GetWebhookDelivery(ctx(t), a.org.ID, "whd_1")
	wantErr(t, err, storage.ErrNotFound, "delivery of a deleted endpoint")
	wantErr(t, s.DeleteWebhookEndpoint(ctx(t), a.org.ID, e.ID), storage.ErrNotFound, "delete twice")
	wantErr(t, s.UpdateWebhookEndpoint(ctx(t), e), storage.ErrNotFound, "update deleted")
}

// testWebhookEndpointsForEvent: only enabled endpoints subscribed to the
// event, oldest first.
func testWebhookEndpointsForEvent(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "a")
	createEndpoint(t, s, newEndpoint(a, "whk_1", 1, "message.created", "visitor.created"))
	createEndpoint(t, s, newEndpoint(a, "whk_2", 2, "visitor.created"))
	off := newEndpoint(a, "whk_3", 3, "message.created")
	off.Enabled, off.DisabledReason = false, storage.WebhookDisabledManual
	createEndpoint(t, s, off)
	createEndpoint(t, s, newEndpoint(a, "whk_4", 4, "message.created"))
	list, err := s.ListWebhookEndpointsForEvent(ctx(t), a.org.ID, "message.created")
	ok(t, err, "for event")
	sameList(t, endpointIDs(list), []string{"whk_1", "whk_4"}, "message.created endpoints")
	list, _ = s.ListWebhookEndpointsForEvent(ctx(t), a.org.ID, "agent.invited")
	sameList(t, endpointIDs(list), nil, "no subscriber")
}

// testWebhookTenancy: another organisation's endpoints and deliveries are
// invisible and untouchable through every org-scoped method.
func testWebhookTenancy(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "a"), newTenant(t, s, "b")
	e := createEndpoint(t, s, newEndpoint(a, "whk_a", 1, "message.created"))
	d := newDelivery(a, e.ID, "whd_a", 2)
	d.VisitorID = a.visitor.ID
	enqueueDeliveries(t, s, d)
	org := b.org.ID
	_, err := s.GetWebhookEndpoint(ctx(t), org, e.ID)
	wantErr(t, err, storage.ErrNotFound, "get other org's endpoint")
	list, err := s.ListWebhookEndpoints(ctx(t), org)
	ok(t, err, "list")
	sameList(t, endpointIDs(list), nil, "other org's list")
	list, _ = s.ListWebhookEndpointsForEvent(ctx(t), org, "message.created")
	sameList(t, endpointIDs(list), nil, "other org's subscribers")
	moved := e
	moved.OrgID, moved.URL = org, "https://evil.example/"
	wantErr(t, s.UpdateWebhookEndpoint(ctx(t), moved), storage.ErrNotFound, "update other org's endpoint")
	wantErr(t, s.DeleteWebhookEndpoint(ctx(t), org, e.ID), storage.ErrNotFound, "delete other org's endpoint")
	_, err = s.GetWebhookDelivery(ctx(t), org, d.ID)
	wantErr(t, err, storage.ErrNotFound, "get other org's delivery")
	ds, err := s.ListWebhookDeliveries(ctx(t), org, e.ID, nil, 10)
	ok(t, err, "list deliveries")
	sameList(t, deliveryIDs(ds), nil, "other org's deliveries")
	claimed := claimDeliveries(t, s, at(3), 10)
	_, err = s.RecordWebhookAttempt(ctx(t), storage.WebhookAttempt{OrgID: org, DeliveryID: d.ID,
		Attempt: claimed[0].Attempts, At: at(4), Status: storage.WebhookDelivered, Effect: storage.WebhookEffectSuccess})
	wantErr(t, err, storage.ErrNotFound, "record other org's delivery")
	n, err := s.ForgetWebhookVisitor(ctx(t), org, a.visitor.ID)
	ok(t, err, "forget in other org")
	if n != 0 {
		t.Errorf("forget in other org changed %d deliveries", n)
	}
	got, err := s.GetWebhookEndpoint(ctx(t), a.org.ID, e.ID)
	ok(t, err, "endpoint after attacks")
	same(t, got, e, "endpoint untouched")
	gd, _ := s.GetWebhookDelivery(ctx(t), a.org.ID, d.ID)
	if gd.Body != d.Body || gd.VisitorID != d.VisitorID || gd.Status != storage.WebhookPending {
		t.Errorf("delivery changed by another org: %#v", gd)
	}
}
