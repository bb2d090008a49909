package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/storage"
)

// EventTest is the event of Dispatcher.Test deliveries.
const EventTest = "webhook.test"

// MaxDataBytes caps the marshalled data of one event.
const MaxDataBytes = 256 << 10

// ErrErased refuses to redeliver a delivery whose body erasure removed.
var ErrErased = errors.New("webhook: delivery body erased")

// Dispatcher queues and sends webhook deliveries. Its methods are safe
// for concurrent use.
type Dispatcher struct {
	cfg    Config
	log    zerolog.Logger
	client *http.Client
	guard  *guard
	cache  *endpointCache
	wake   chan struct{}
}

// New returns a Dispatcher for cfg (see Config for the defaults).
func New(cfg Config) (*Dispatcher, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	g, err := newGuard(cfg.AllowHosts)
	if err != nil {
		return nil, err
	}
	d := &Dispatcher{cfg: cfg, log: cfg.Logger.With().Str("component", "webhook").Logger(), guard: g,
		cache: newEndpointCache(cfg.CacheTTL), wake: make(chan struct{}, 1)}
	d.client = newClient(cfg, g)
	return d, nil
}

// envelope is the JSON body of every delivery.
type envelope struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	CreatedAt      string          `json:"created_at"`
	OrganizationID string          `json:"organization_id"`
	Data           json.RawMessage `json:"data"`
}

// now is the clock truncated to milliseconds (what the stores keep).
func (d *Dispatcher) now() time.Time { return d.cfg.Now().UTC().Truncate(time.Millisecond) }

// Emit stores one durable delivery of event per enabled endpoint of orgID
// subscribed to it, in one write, and returns once they are stored (nil
// when none subscribes: that answer comes from a per-organisation cache
// of Config.CacheTTL, so an organisation without webhooks costs one store
// read per TTL). data is marshalled as the body's "data". The visitor
// whose data it holds (for ForgetVisitor) is taken from VisitorData, else
// from a "visitor_id" field, a "visitor":{"id"} or
// "conversation":{"visitor_id"} object, or, for visitor.* events, "id".
func (d *Dispatcher) Emit(ctx context.Context, orgID, event string, data any) error {
	if orgID == "" || event == "" {
		return errors.New("webhook emit: empty organisation or event")
	}
	ids, err := d.subscribers(ctx, orgID, event)
	if err != nil || len(ids) == 0 {
		return err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("webhook emit %s: %w", event, err)
	}
	if len(raw) > MaxDataBytes {
		return fmt.Errorf("webhook emit %s: data of %d bytes, at most %d", event, len(raw), MaxDataBytes)
	}
	visitor := visitorOf(event, data, raw)
	now := d.now()
	ds := make([]storage.WebhookDelivery, 0, len(ids))
	for _, id := range ids {
		del, err := newDelivery(orgID, id, event, raw, visitor, now)
		if err != nil {
			return err
		}
		ds = append(ds, del)
	}
	if err := d.enqueue(ctx, ds); err != nil {
		return fmt.Errorf("webhook emit %s: %w", event, err)
	}
	return nil
}

// enqueue stores ds in chunks the store accepts and wakes a worker.
func (d *Dispatcher) enqueue(ctx context.Context, ds []storage.WebhookDelivery) error {
	for len(ds) > 0 {
		n := min(len(ds), storage.MaxWebhookEnqueue)
		if err := d.cfg.Store.EnqueueWebhookDeliveries(ctx, ds[:n]); err != nil {
			return err
		}
		d.cfg.Metrics.emitted(n)
		ds = ds[n:]
	}
	d.poke()
	return nil
}

// poke wakes one waiting worker.
func (d *Dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// newDelivery builds a pending delivery of event to endpoint id, due now.
func newDelivery(orgID, endpointID, event string, data json.RawMessage, visitor string, now time.Time) (storage.WebhookDelivery, error) {
	id := storage.NewID("whd")
	body, err := json.Marshal(envelope{ID: id, Type: event, CreatedAt: now.Format(time.RFC3339Nano),
		OrganizationID: orgID, Data: data})
	if err != nil {
		return storage.WebhookDelivery{}, err
	}
	return storage.WebhookDelivery{ID: id, OrgID: orgID, EndpointID: endpointID, Event: event, Body: string(body),
		VisitorID: visitor, Status: storage.WebhookPending, NextAttemptAt: now, CreatedAt: now}, nil
}

// Invalidate drops the cached endpoints of orgID: call it after any
// change of the organisation's endpoints (create, update, delete,
// enable). Other nodes see the change when their cache entry expires
// (Config.CacheTTL).
func (d *Dispatcher) Invalidate(orgID string) { d.cache.drop(orgID) }

// Test queues a webhook.test delivery to endpoint endpointID of orgID
// (also when the endpoint is disabled, to check it before re-enabling)
// and returns it. storage.ErrNotFound if there is no such endpoint.
func (d *Dispatcher) Test(ctx context.Context, orgID, endpointID string) (storage.WebhookDelivery, error) {
	e, err := d.cfg.Store.GetWebhookEndpoint(ctx, orgID, endpointID)
	if err != nil {
		return storage.WebhookDelivery{}, err
	}
	data, _ := json.Marshal(map[string]string{"endpoint_id": e.ID, "message": "This is a test delivery from helpr."})
	del, err := newDelivery(orgID, e.ID, EventTest, data, "", d.now())
	if err != nil {
		return storage.WebhookDelivery{}, err
	}
	if err := d.enqueue(ctx, []storage.WebhookDelivery{del}); err != nil {
		return storage.WebhookDelivery{}, fmt.Errorf("webhook test: %w", err)
	}
	return del, nil
}

// Redeliver queues a new delivery (a new id, due now) of the event of
// delivery deliveryID of orgID to the same endpoint, with the same data,
// and returns it. storage.ErrNotFound if the delivery or its endpoint is
// gone; ErrErased if erasure removed its body.
func (d *Dispatcher) Redeliver(ctx context.Context, orgID, deliveryID string) (storage.WebhookDelivery, error) {
	old, err := d.cfg.Store.GetWebhookDelivery(ctx, orgID, deliveryID)
	if err != nil {
		return storage.WebhookDelivery{}, err
	}
	if old.Body == "" {
		return storage.WebhookDelivery{}, ErrErased
	}
	if _, err := d.cfg.Store.GetWebhookEndpoint(ctx, orgID, old.EndpointID); err != nil {
		return storage.WebhookDelivery{}, err
	}
	var env envelope
	if err := json.Unmarshal([]byte(old.Body), &env); err != nil {
		return storage.WebhookDelivery{}, fmt.Errorf("webhook redeliver: stored body: %w", err)
	}
	del, err := newDelivery(orgID, old.EndpointID, old.Event, env.Data, old.VisitorID, d.now())
	if err != nil {
		return storage.WebhookDelivery{}, err
	}
	if err := d.enqueue(ctx, []storage.WebhookDelivery{del}); err != nil {
		return storage.WebhookDelivery{}, fmt.Errorf("webhook redeliver: %w", err)
	}
	return del, nil
}

// ForgetVisitor erases visitor visitorID of orgID from the delivery queue
// and log (storage.WebhookStore.ForgetWebhookVisitor): no delivery holding
// the visitor's data is sent after it returns, except one already in
// flight. Call it in the erasure flow, before answering.
func (d *Dispatcher) ForgetVisitor(ctx context.Context, orgID, visitorID string) error {
	n, err := d.cfg.Store.ForgetWebhookVisitor(ctx, orgID, visitorID)
	if err != nil {
		return fmt.Errorf("webhook forget visitor: %w", err)
	}
	d.log.Info().Str("org_id", orgID).Int("deliveries", n).Msg("webhook deliveries of an erased visitor forgotten")
	return nil
}
