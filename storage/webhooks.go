package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// WebhookEndpoint is one URL of an organisation that receives signed
// event notifications (transport/webhook). Secret and PreviousSecret are
// the HMAC keys: the security layer seals them before they reach a
// backend. During a secret rotation PreviousSecret stays valid (both
// signatures are sent) until PreviousSecretUntil.
type WebhookEndpoint struct {
	ID                  string // "whk_…"
	OrgID               string
	URL                 string
	Description         string
	Events              []string // event types the endpoint subscribes to
	Secret              string   // "whsec_…", sealed by SealedStore
	PreviousSecret      string   // "" when no rotation runs; sealed
	PreviousSecretUntil time.Time
	Enabled             bool
	DisabledReason      string // "" while enabled; WebhookDisabled*
	DisabledAt          time.Time
	ConsecutiveFailures int
	CreatedBy           string // the agent that created it
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Subscribes reports whether the endpoint subscribes to event.
func (e WebhookEndpoint) Subscribes(event string) bool {
	for _, ev := range e.Events {
		if ev == event {
			return true
		}
	}
	return false
}

// Reasons an endpoint was disabled (WebhookEndpoint.DisabledReason).
const (
	WebhookDisabledFailures = "consecutive_failures" // too many failed attempts in a row
	WebhookDisabledGone     = "gone"                 // the receiver answered 410 Gone
	WebhookDisabledManual   = "manual"               // an agent disabled it
)

// WebhookStatus is the state of one delivery.
type WebhookStatus string

// Delivery states. Pending (never attempted) and failed (the last attempt
// failed, another is scheduled) deliveries are due at NextAttemptAt;
// delivered and dead ones are final.
const (
	WebhookPending   WebhookStatus = "pending"
	WebhookDelivered WebhookStatus = "delivered"
	WebhookFailed    WebhookStatus = "failed"
	WebhookDead      WebhookStatus = "dead"
)

// Final reports whether no further attempt follows.
func (s WebhookStatus) Final() bool { return s == WebhookDelivered || s == WebhookDead }

// WebhookDelivery is one event sent (or to be sent) to one endpoint. Body
// is the exact JSON posted; it may hold PII, so the security layer seals
// it. VisitorID names the visitor whose data the body holds ("" for none)
// so that erasure finds it (ForgetWebhookVisitor).
//
// A delivery is due at now when it is pending or failed, NextAttemptAt is
// not after now and its lease (LeaseUntil) is over. A claim raises
// Attempts and sets LeaseUntil, so a worker that dies mid-send leaves the
// delivery due again when the lease ends.
type WebhookDelivery struct {
	ID             string // "whd_…"
	OrgID          string
	EndpointID     string
	Event          string
	Body           string // sealed by SealedStore
	VisitorID      string
	Status         WebhookStatus
	Attempts       int // claims so far; the fence of RecordWebhookAttempt
	NextAttemptAt  time.Time
	LeaseUntil     time.Time
	LastStatusCode int
	LastLatencyMs  int64
	LastError      string
	CreatedAt      time.Time
	DeliveredAt    time.Time
}

// DueAt reports whether d can be claimed at now.
func (d WebhookDelivery) DueAt(now time.Time) bool {
	return !d.Status.Final() && !d.NextAttemptAt.After(now) && !d.LeaseUntil.After(now)
}

// MaxWebhookClaim is the most deliveries one ClaimWebhookDeliveries call
// returns; MaxWebhookEnqueue the most one EnqueueWebhookDeliveries call
// stores; MaxWebhookDeliveryList the most one ListWebhookDeliveries call
// returns.
const (
	MaxWebhookClaim        = 100
	MaxWebhookEnqueue      = 500
	MaxWebhookDeliveryList = 200
)

// CheckWebhookDelivery is the argument check of EnqueueWebhookDeliveries
// every backend runs.
func CheckWebhookDelivery(d WebhookDelivery) error {
	switch {
	case d.ID == "" || d.OrgID == "" || d.EndpointID == "" || d.Event == "":
		return errors.New("empty id, organisation, endpoint or event")
	case d.Status != WebhookPending:
		return errors.New("a new delivery is pending")
	case d.Attempts != 0 || !d.LeaseUntil.IsZero() || !d.DeliveredAt.IsZero():
		return errors.New("a new delivery has no attempts, lease or delivery time")
	case d.CreatedAt.IsZero() || d.NextAttemptAt.IsZero():
		return errors.New("zero time")
	}
	return nil
}

// CheckWebhookEndpoint is the argument check of CreateWebhookEndpoint and
// UpdateWebhookEndpoint every backend runs.
func CheckWebhookEndpoint(e WebhookEndpoint) error {
	switch {
	case e.ID == "" || e.OrgID == "" || e.URL == "":
		return errors.New("empty id, organisation or url")
	case e.Secret == "":
		return errors.New("no secret")
	case e.CreatedAt.IsZero() || e.UpdatedAt.IsZero():
		return errors.New("zero time")
	case e.Enabled && e.DisabledReason != "":
		return errors.New("an enabled endpoint has no disabled reason")
	}
	return nil
}

// WebhookEffect is what an attempt does to its endpoint's failure count.
type WebhookEffect int

// Effects of RecordWebhookAttempt on the endpoint.
const (
	// WebhookEffectNone leaves the endpoint alone (the attempt never
	// reached it: disabled endpoint, erased body).
	WebhookEffectNone WebhookEffect = iota
	// WebhookEffectSuccess resets ConsecutiveFailures to 0.
	WebhookEffectSuccess
	// WebhookEffectFailure adds one to ConsecutiveFailures and disables
	// the endpoint (WebhookDisabledFailures) when it reaches DisableAfter.
	WebhookEffectFailure
	// WebhookEffectGone adds one failure and disables the endpoint at once
	// (WebhookDisabledGone).
	WebhookEffectGone
)

// WebhookAttempt is the outcome of one claimed attempt.
type WebhookAttempt struct {
	OrgID      string
	DeliveryID string
	Attempt    int // the claimed delivery's Attempts: the fence
	At         time.Time
	// Status is the delivery's new state: delivered, failed (due again at
	// NextAttemptAt) or dead.
	Status        WebhookStatus
	NextAttemptAt time.Time
	StatusCode    int // 0 when no answer came
	LatencyMs     int64
	Error         string // short, never a response body or a secret
	Effect        WebhookEffect
	// DisableAfter is the failure count at which WebhookEffectFailure
	// disables the endpoint (<= 0: never).
	DisableAfter int
}

// WebhookAttemptResult is what RecordWebhookAttempt changed.
type WebhookAttemptResult struct {
	Delivery WebhookDelivery
	// Endpoint is the endpoint after the write (zero when the attempt had
	// no effect or the endpoint is gone).
	Endpoint WebhookEndpoint
	// Disabled is true only for the write that disabled the endpoint: of
	// concurrent attempts exactly one reports it, so the owners are told
	// once.
	Disabled bool
}

// CheckWebhookAttempt is the argument check of RecordWebhookAttempt.
func CheckWebhookAttempt(a WebhookAttempt) error {
	switch {
	case a.OrgID == "" || a.DeliveryID == "":
		return errors.New("empty organisation or delivery")
	case a.At.IsZero():
		return errors.New("zero time")
	case a.Status == WebhookFailed && a.NextAttemptAt.IsZero():
		return errors.New("a failed attempt needs the next attempt time")
	case a.Status != WebhookDelivered && a.Status != WebhookFailed && a.Status != WebhookDead:
		return fmt.Errorf("status %q after an attempt", a.Status)
	}
	return nil
}

// WebhookDisableReason is why attempt a disables endpoint e, as it is
// after the attempt's failure count was applied ("" if it does not): a
// 410 disables an enabled endpoint at once, a failure when the count
// reached a.DisableAfter. Backends call it inside RecordWebhookAttempt.
func WebhookDisableReason(a WebhookAttempt, e WebhookEndpoint) string {
	switch {
	case !e.Enabled:
		return ""
	case a.Effect == WebhookEffectGone:
		return WebhookDisabledGone
	case a.Effect == WebhookEffectFailure && a.DisableAfter > 0 && e.ConsecutiveFailures >= a.DisableAfter:
		return WebhookDisabledFailures
	}
	return ""
}

// WebhookDeliveryCursor pages ListWebhookDeliveries (newest first): the
// next page starts strictly after this (CreatedAt, ID).
type WebhookDeliveryCursor struct {
	CreatedAt time.Time
	ID        string
}

// WebhookStore keeps webhook endpoints and their durable delivery queue.
// Every endpoint method is organisation-scoped; only the worker's claim
// spans organisations. Delivery is at least once: a claim is a lease, so
// of concurrent claimers (on one node or several) only one gets a
// delivery while its lease runs.
type WebhookStore interface {
	// CreateWebhookEndpoint stores a new endpoint (CheckWebhookEndpoint).
	// ErrConflict if the id is taken.
	CreateWebhookEndpoint(ctx context.Context, e WebhookEndpoint) error
	// GetWebhookEndpoint returns endpoint id of organisation orgID.
	GetWebhookEndpoint(ctx context.Context, orgID, id string) (WebhookEndpoint, error)
	// ListWebhookEndpoints returns the organisation's endpoints, oldest
	// first.
	ListWebhookEndpoints(ctx context.Context, orgID string) ([]WebhookEndpoint, error)
	// ListWebhookEndpointsForEvent returns the organisation's enabled
	// endpoints subscribed to event, oldest first.
	ListWebhookEndpointsForEvent(ctx context.Context, orgID, event string) ([]WebhookEndpoint, error)
	// UpdateWebhookEndpoint replaces every field of endpoint e.ID of
	// organisation e.OrgID but its creator and creation time.
	// ErrNotFound when no such endpoint exists in that organisation.
	UpdateWebhookEndpoint(ctx context.Context, e WebhookEndpoint) error
	// DeleteWebhookEndpoint removes the endpoint and all its deliveries in
	// one write. ErrNotFound if none.
	DeleteWebhookEndpoint(ctx context.Context, orgID, id string) error
	// EnqueueWebhookDeliveries stores new deliveries
	// (CheckWebhookDelivery), all or none, in one transaction; at most
	// MaxWebhookEnqueue. ErrConflict if an id is taken.
	EnqueueWebhookDeliveries(ctx context.Context, ds []WebhookDelivery) error
	// ClaimWebhookDeliveries takes up to limit deliveries due at now
	// (WebhookDelivery.DueAt), the earliest NextAttemptAt first: each
	// one's Attempts grows by one and LeaseUntil becomes now+lease, and
	// they are returned as updated. Of concurrent claims no two return the
	// same delivery with the same Attempts. limit is capped at
	// MaxWebhookClaim; lease must be positive.
	ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]WebhookDelivery, error)
	// RecordWebhookAttempt stores the outcome of a claimed attempt, only
	// if the delivery is not final, its Attempts still equals a.Attempt
	// and that claim was not recorded yet (LeaseUntil is set: a record
	// clears it), and applies a.Effect to its endpoint in the same write.
	// ErrConflict if it was claimed again, recorded or became final
	// meanwhile (nothing changes); ErrNotFound if the delivery is not in
	// a.OrgID.
	RecordWebhookAttempt(ctx context.Context, a WebhookAttempt) (WebhookAttemptResult, error)
	// ListWebhookDeliveries returns up to limit deliveries of the
	// organisation's endpoint, newest first (CreatedAt, then ID,
	// descending), after cursor when it is not nil. limit <= 0 means 50;
	// capped at MaxWebhookDeliveryList.
	ListWebhookDeliveries(ctx context.Context, orgID, endpointID string, cursor *WebhookDeliveryCursor, limit int) ([]WebhookDelivery, error)
	// GetWebhookDelivery returns delivery id of organisation orgID.
	GetWebhookDelivery(ctx context.Context, orgID, id string) (WebhookDelivery, error)
	// ForgetWebhookVisitor removes visitor visitorID's data from the
	// organisation's deliveries (erasure): every delivery holding the
	// visitor loses its body and visitor id, and those not final yet
	// become dead with LastError "visitor erased" (never sent again). It
	// returns how many deliveries it changed.
	ForgetWebhookVisitor(ctx context.Context, orgID, visitorID string) (int, error)
	// DeleteOldWebhookDeliveries removes final (delivered or dead)
	// deliveries of every organisation created before `before` (the
	// delivery log's retention) and returns how many; backends also drop
	// their expired claim bookkeeping.
	DeleteOldWebhookDeliveries(ctx context.Context, before time.Time) (int, error)
}

// WebhookErasedError is the LastError of deliveries ForgetWebhookVisitor
// stopped.
const WebhookErasedError = "visitor erased"
