package mongo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// Webhook collections (storage.WebhookStore): endpoints and deliveries
// keyed by their ids, and one claim document per delivery attempt (as
// mail_claims). Secrets and bodies arrive sealed.
const (
	collWebhookEndpoints  = "webhook_endpoints"
	collWebhookDeliveries = "webhook_deliveries"
	collWebhookClaims     = "webhook_claims"
)

// endpointDoc is a stored endpoint; zero times are absent fields.
type endpointDoc struct {
	ID                  string    `bson:"_id"`
	OrgID               string    `bson:"org_id"`
	URL                 string    `bson:"url"`
	Description         string    `bson:"description"`
	Events              []string  `bson:"events"`
	Secret              string    `bson:"secret"`
	PreviousSecret      string    `bson:"previous_secret"`
	PreviousSecretUntil time.Time `bson:"previous_secret_until,omitempty"`
	Enabled             bool      `bson:"enabled"`
	DisabledReason      string    `bson:"disabled_reason"`
	DisabledAt          time.Time `bson:"disabled_at,omitempty"`
	ConsecutiveFailures int       `bson:"consecutive_failures"`
	CreatedBy           string    `bson:"created_by"`
	CreatedAt           time.Time `bson:"created_at"`
	UpdatedAt           time.Time `bson:"updated_at"`
	Ins                 int64     `bson:"ins"`
}

func (d endpointDoc) org() string { return d.OrgID }

func newEndpointDoc(e storage.WebhookEndpoint) endpointDoc {
	events := slices.Clone(e.Events)
	if events == nil {
		events = []string{}
	}
	return endpointDoc{ID: e.ID, OrgID: e.OrgID, URL: e.URL, Description: e.Description, Events: events,
		Secret: e.Secret, PreviousSecret: e.PreviousSecret, PreviousSecretUntil: e.PreviousSecretUntil,
		Enabled: e.Enabled, DisabledReason: e.DisabledReason, DisabledAt: e.DisabledAt,
		ConsecutiveFailures: e.ConsecutiveFailures, CreatedBy: e.CreatedBy, CreatedAt: e.CreatedAt,
		UpdatedAt: e.UpdatedAt, Ins: nextIns()}
}

func (d endpointDoc) endpoint() storage.WebhookEndpoint {
	var events []string
	if len(d.Events) > 0 {
		events = d.Events
	}
	return storage.WebhookEndpoint{ID: d.ID, OrgID: d.OrgID, URL: d.URL, Description: d.Description, Events: events,
		Secret: d.Secret, PreviousSecret: d.PreviousSecret, PreviousSecretUntil: utc(d.PreviousSecretUntil),
		Enabled: d.Enabled, DisabledReason: d.DisabledReason, DisabledAt: utc(d.DisabledAt),
		ConsecutiveFailures: d.ConsecutiveFailures, CreatedBy: d.CreatedBy, CreatedAt: utc(d.CreatedAt),
		UpdatedAt: utc(d.UpdatedAt)}
}

// CreateWebhookEndpoint inserts a new endpoint; ErrConflict on a taken id.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e storage.WebhookEndpoint) error {
	if err := storage.CheckWebhookEndpoint(e); err != nil {
		return fmt.Errorf("create webhook endpoint: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.coll(collWebhookEndpoints).InsertOne(ctx, newEndpointDoc(e))
	return wrap(translate(err), "create webhook endpoint")
}

// GetWebhookEndpoint reads one endpoint of orgID.
func (s *Store) GetWebhookEndpoint(ctx context.Context, orgID, id string) (storage.WebhookEndpoint, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOwned[endpointDoc](ctx, s.coll(collWebhookEndpoints), orgID, id)
	if err != nil {
		return storage.WebhookEndpoint{}, fmt.Errorf("get webhook endpoint: %w", err)
	}
	return d.endpoint(), nil
}

// ListWebhookEndpoints lists orgID's endpoints, oldest first.
func (s *Store) ListWebhookEndpoints(ctx context.Context, orgID string) ([]storage.WebhookEndpoint, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	list, err := findAll[endpointDoc](ctx, s.coll(collWebhookEndpoints), bson.D{{Key: "org_id", Value: orgID}},
		sorted(0, asc("created_at"), asc("ins")))
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	return convert(list, endpointDoc.endpoint), nil
}

// ListWebhookEndpointsForEvent filters ListWebhookEndpoints' enabled
// endpoints by event (an organisation has few endpoints).
func (s *Store) ListWebhookEndpointsForEvent(ctx context.Context, orgID, event string) ([]storage.WebhookEndpoint, error) {
	list, err := s.ListWebhookEndpoints(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, e := range list {
		if e.Enabled && e.Subscribes(event) {
			out = append(out, e)
		}
	}
	return out, nil
}

// UpdateWebhookEndpoint replaces the endpoint's mutable fields, under the
// endpoint's lock stripe (RecordWebhookAttempt changes the same document).
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, e storage.WebhookEndpoint) error {
	if err := storage.CheckWebhookEndpoint(e); err != nil {
		return fmt.Errorf("update webhook endpoint: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockStripe(ctx, "webhook-endpoint:"+e.ID, "webhook endpoint "+e.ID)
	if err != nil {
		return err
	}
	defer unlock()
	d := newEndpointDoc(e)
	set := bson.D{{Key: "url", Value: d.URL}, {Key: "description", Value: d.Description},
		{Key: "events", Value: d.Events}, {Key: "secret", Value: d.Secret},
		{Key: "previous_secret", Value: d.PreviousSecret}, {Key: "enabled", Value: d.Enabled},
		{Key: "disabled_reason", Value: d.DisabledReason}, {Key: "consecutive_failures", Value: d.ConsecutiveFailures},
		{Key: "updated_at", Value: d.UpdatedAt}}
	unset := bson.D{}
	set, unset = setOrUnset(set, unset, "previous_secret_until", e.PreviousSecretUntil)
	set, unset = setOrUnset(set, unset, "disabled_at", e.DisabledAt)
	update := bson.D{{Key: "$set", Value: set}}
	if len(unset) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	filter := bson.D{{Key: "_id", Value: e.ID}, {Key: "org_id", Value: e.OrgID}}
	return wrap(updateOne(ctx, s.coll(collWebhookEndpoints), filter, update), "update webhook endpoint")
}

// setOrUnset adds field to set when t is non-zero, to unset otherwise.
func setOrUnset(set, unset bson.D, field string, t time.Time) (bson.D, bson.D) {
	if t.IsZero() {
		return set, append(unset, bson.E{Key: field, Value: ""})
	}
	return append(set, bson.E{Key: field, Value: t}), unset
}

// DeleteWebhookEndpoint removes the endpoint, then its deliveries: a
// crash in between leaves deliveries that the dispatcher gives up (their
// endpoint is gone) and DeleteWebhookEndpoint cannot reach again.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, orgID, id string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := s.coll(collWebhookEndpoints).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: orgID}})
	if err != nil {
		return fmt.Errorf("delete webhook endpoint: %w", translate(err))
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("delete webhook endpoint: %w", storage.ErrNotFound)
	}
	_, err = s.coll(collWebhookDeliveries).DeleteMany(ctx, bson.D{{Key: "org_id", Value: orgID}, {Key: "endpoint_id", Value: id}})
	return wrap(translate(err), "delete webhook endpoint deliveries")
}
