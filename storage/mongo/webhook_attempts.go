package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// RecordWebhookAttempt updates the delivery (filtered on the claimed
// attempts and an open status), then applies the effect to its endpoint:
// two single-document writes (no transactions, see doc.go), each under
// its lock stripe. A crash between them loses one failure count or
// reset, never a delivery state. The disabling update is filtered on
// enabled, so on MongoDB exactly one concurrent attempt reports Disabled.
func (s *Store) RecordWebhookAttempt(ctx context.Context, a storage.WebhookAttempt) (storage.WebhookAttemptResult, error) {
	if err := storage.CheckWebhookAttempt(a); err != nil {
		return storage.WebhookAttemptResult{}, fmt.Errorf("record webhook attempt: %w", err)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := s.recordDelivery(ctx, a)
	if err != nil {
		return storage.WebhookAttemptResult{}, fmt.Errorf("record webhook attempt: %w", err)
	}
	res, err := s.applyEffect(ctx, a, d.EndpointID)
	res.Delivery = d
	return res, wrap(err, "record webhook attempt: endpoint")
}

// recordDelivery stores the attempt on its delivery if the claim is the
// latest and the delivery not final.
func (s *Store) recordDelivery(ctx context.Context, a storage.WebhookAttempt) (storage.WebhookDelivery, error) {
	unlock, err := s.lockStripe(ctx, "webhook:"+a.DeliveryID, "webhook delivery "+a.DeliveryID)
	if err != nil {
		return storage.WebhookDelivery{}, err
	}
	defer unlock()
	set := bson.D{{Key: "status", Value: string(a.Status)}, {Key: "last_status_code", Value: a.StatusCode},
		{Key: "last_latency_ms", Value: a.LatencyMs}, {Key: "last_error", Value: a.Error}}
	if !a.NextAttemptAt.IsZero() {
		set = append(set, bson.E{Key: "next_attempt_at", Value: a.NextAttemptAt}, bson.E{Key: "due_at", Value: a.NextAttemptAt})
	}
	if a.Status == storage.WebhookDelivered {
		set = append(set, bson.E{Key: "delivered_at", Value: a.At})
	}
	update := bson.D{{Key: "$set", Value: set}, {Key: "$unset", Value: bson.D{{Key: "lease_until", Value: ""}}}}
	filter := bson.D{{Key: "_id", Value: a.DeliveryID}, {Key: "org_id", Value: a.OrgID},
		{Key: "attempts", Value: a.Attempt}, {Key: "lease_until", Value: bson.D{{Key: "$ne", Value: nil}}}, deliveryOpen()}
	var got deliveryDoc
	err = translate(s.coll(collWebhookDeliveries).FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&got))
	if errors.Is(err, storage.ErrNotFound) {
		if _, err = findOwned[deliveryDoc](ctx, s.coll(collWebhookDeliveries), a.OrgID, a.DeliveryID); err == nil {
			err = fmt.Errorf("%w: delivery claimed again or final", storage.ErrConflict)
		}
	}
	if err != nil {
		return storage.WebhookDelivery{}, err
	}
	return got.delivery(), nil
}

// applyEffect applies a.Effect to endpoint id (a missing endpoint is left
// alone).
func (s *Store) applyEffect(ctx context.Context, a storage.WebhookAttempt, id string) (storage.WebhookAttemptResult, error) {
	var change bson.D
	switch a.Effect {
	case storage.WebhookEffectNone:
		return storage.WebhookAttemptResult{}, nil
	case storage.WebhookEffectSuccess:
		change = bson.D{{Key: "$set", Value: bson.D{{Key: "consecutive_failures", Value: 0}}}}
	default:
		change = bson.D{{Key: "$inc", Value: bson.D{{Key: "consecutive_failures", Value: 1}}}}
	}
	unlock, err := s.lockStripe(ctx, "webhook-endpoint:"+id, "webhook endpoint "+id)
	if err != nil {
		return storage.WebhookAttemptResult{}, err
	}
	defer unlock()
	coll := s.coll(collWebhookEndpoints)
	after := options.FindOneAndUpdate().SetReturnDocument(options.After)
	var e endpointDoc
	err = translate(coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: a.OrgID}},
		change, after).Decode(&e))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.WebhookAttemptResult{}, nil
	}
	if err != nil {
		return storage.WebhookAttemptResult{}, err
	}
	reason := storage.WebhookDisableReason(a, e.endpoint())
	if reason == "" {
		return storage.WebhookAttemptResult{Endpoint: e.endpoint()}, nil
	}
	disable := bson.D{{Key: "$set", Value: bson.D{{Key: "enabled", Value: false}, {Key: "disabled_reason", Value: reason},
		{Key: "disabled_at", Value: a.At}, {Key: "updated_at", Value: a.At}}}}
	err = translate(coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}, {Key: "enabled", Value: true}},
		disable, after).Decode(&e))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.WebhookAttemptResult{Endpoint: e.endpoint()}, nil // another attempt disabled it
	}
	if err != nil {
		return storage.WebhookAttemptResult{}, err
	}
	return storage.WebhookAttemptResult{Endpoint: e.endpoint(), Disabled: true}, nil
}
