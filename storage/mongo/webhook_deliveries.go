package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// deliveryDoc is a stored delivery. DueAt, not part of
// storage.WebhookDelivery, is when it can next be claimed: NextAttemptAt,
// or the lease end while a claim runs; the claim query reads it alone.
type deliveryDoc struct {
	ID             string    `bson:"_id"`
	OrgID          string    `bson:"org_id"`
	EndpointID     string    `bson:"endpoint_id"`
	Event          string    `bson:"event"`
	Body           string    `bson:"body"`
	VisitorID      string    `bson:"visitor_id"`
	Status         string    `bson:"status"`
	Attempts       int       `bson:"attempts"`
	NextAttemptAt  time.Time `bson:"next_attempt_at"`
	LeaseUntil     time.Time `bson:"lease_until,omitempty"`
	DueAt          time.Time `bson:"due_at"`
	LastStatusCode int       `bson:"last_status_code"`
	LastLatencyMs  int64     `bson:"last_latency_ms"`
	LastError      string    `bson:"last_error"`
	CreatedAt      time.Time `bson:"created_at"`
	DeliveredAt    time.Time `bson:"delivered_at,omitempty"`
	Ins            int64     `bson:"ins"`
}

func (d deliveryDoc) org() string { return d.OrgID }

func newDeliveryDoc(w storage.WebhookDelivery) deliveryDoc {
	return deliveryDoc{ID: w.ID, OrgID: w.OrgID, EndpointID: w.EndpointID, Event: w.Event, Body: w.Body,
		VisitorID: w.VisitorID, Status: string(w.Status), Attempts: w.Attempts, NextAttemptAt: w.NextAttemptAt,
		DueAt: w.NextAttemptAt, CreatedAt: w.CreatedAt, Ins: nextIns()}
}

func (d deliveryDoc) delivery() storage.WebhookDelivery {
	return storage.WebhookDelivery{ID: d.ID, OrgID: d.OrgID, EndpointID: d.EndpointID, Event: d.Event, Body: d.Body,
		VisitorID: d.VisitorID, Status: storage.WebhookStatus(d.Status), Attempts: d.Attempts,
		NextAttemptAt: utc(d.NextAttemptAt), LeaseUntil: utc(d.LeaseUntil), LastStatusCode: d.LastStatusCode,
		LastLatencyMs: d.LastLatencyMs, LastError: d.LastError, CreatedAt: utc(d.CreatedAt),
		DeliveredAt: utc(d.DeliveredAt)}
}

// deliveryOpen is the filter of a delivery that is not final.
func deliveryOpen() bson.E {
	return bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{
		string(storage.WebhookPending), string(storage.WebhookFailed)}}}}
}

// EnqueueWebhookDeliveries inserts the deliveries with one ordered
// InsertMany; if it fails part-way the ones it inserted are deleted
// again, so the call stores all or (but for a crash in between) none.
func (s *Store) EnqueueWebhookDeliveries(ctx context.Context, ds []storage.WebhookDelivery) error {
	if len(ds) > storage.MaxWebhookEnqueue {
		return fmt.Errorf("enqueue webhook deliveries: %d deliveries, at most %d", len(ds), storage.MaxWebhookEnqueue)
	}
	docs := make([]any, 0, len(ds))
	ids := make(bson.A, 0, len(ds))
	for _, d := range ds {
		if err := storage.CheckWebhookDelivery(d); err != nil {
			return fmt.Errorf("enqueue webhook deliveries: %w", err)
		}
		docs = append(docs, newDeliveryDoc(d))
		ids = append(ids, d.ID)
	}
	if len(docs) == 0 {
		return nil
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.coll(collWebhookDeliveries).InsertMany(ctx, docs)
	if err == nil {
		return nil
	}
	cctx, ccancel := s.cleanup(ctx)
	defer ccancel()
	_, undo := s.coll(collWebhookDeliveries).DeleteMany(cctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: insertedBefore(err, ids)}}}})
	return fmt.Errorf("enqueue webhook deliveries: %w", errors.Join(translate(err), wrap(undo, "remove partial batch")))
}

// insertedBefore returns the ids an ordered InsertMany that failed with
// err stored: those before the first failing document (all of ids when
// the error names none: nothing of another delivery is at stake, ids
// being random).
func insertedBefore(err error, ids bson.A) bson.A {
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && len(bwe.WriteErrors) > 0 {
		return ids[:min(bwe.WriteErrors[0].Index, len(ids))]
	}
	return ids
}

// ClaimWebhookDeliveries finds the due deliveries, earliest first, and
// claims each by inserting its next claim document (the unique _id
// decides between claimers of all nodes), then moves it to the claimed
// attempt and the lease end with an update filtered on the attempts it
// read (ClaimMail's scheme).
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]storage.WebhookDelivery, error) {
	if lease <= 0 {
		return nil, errors.New("claim webhook deliveries: lease must be positive")
	}
	limit = min(limit, storage.MaxWebhookClaim)
	if limit <= 0 {
		return nil, nil
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	due := bson.D{deliveryOpen(), {Key: "due_at", Value: bson.D{{Key: "$lte", Value: now}}}}
	found, err := findAll[deliveryDoc](ctx, s.coll(collWebhookDeliveries), due, sorted(limit, asc("due_at"), asc("next_attempt_at"), asc("ins")))
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	var out []storage.WebhookDelivery
	for _, d := range found {
		w, ok, err := s.claimDelivery(ctx, d, now, lease)
		if err != nil {
			return out, fmt.Errorf("claim webhook deliveries: %w", err)
		}
		if ok {
			out = append(out, w)
		}
	}
	return out, nil
}

// claimDelivery claims delivery d, read due with d.Attempts; ok is false
// when another claimer was first.
func (s *Store) claimDelivery(ctx context.Context, d deliveryDoc, now time.Time, lease time.Duration) (storage.WebhookDelivery, bool, error) {
	attempt, ok, err := s.insertLeaseClaim(ctx, collWebhookClaims, d.ID, d.Attempts, now, lease)
	if err != nil || !ok {
		return storage.WebhookDelivery{}, false, err
	}
	unlock, err := s.lockStripe(ctx, "webhook:"+d.ID, "webhook delivery "+d.ID)
	if err != nil {
		return storage.WebhookDelivery{}, false, err
	}
	defer unlock()
	filter := bson.D{{Key: "_id", Value: d.ID}, {Key: "attempts", Value: d.Attempts}, deliveryOpen()}
	until := now.Add(lease)
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "attempts", Value: attempt},
		{Key: "lease_until", Value: until}, {Key: "due_at", Value: until}}}}
	var got deliveryDoc
	err = translate(s.coll(collWebhookDeliveries).FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&got))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.WebhookDelivery{}, false, nil // recorded or forgotten meanwhile
	}
	if err != nil {
		return storage.WebhookDelivery{}, false, err
	}
	return got.delivery(), true, nil
}

// insertLeaseClaim inserts into coll the claim of attempt (attempts+1) of
// record id and returns its number, as insertMailClaim: a live claim of
// that number means another claimer won (ok false); an expired one
// belongs to a claimer that died before updating, so the next number is
// tried.
func (s *Store) insertLeaseClaim(ctx context.Context, coll, id string, attempts int, now time.Time, lease time.Duration) (int, bool, error) {
	for attempt := attempts + 1; attempt <= attempts+maxClaimSkips; attempt++ {
		key := fmt.Sprintf("%s:%d", id, attempt)
		_, err := s.coll(coll).InsertOne(ctx, mailClaimDoc{ID: key, ExpiresAt: now.Add(lease)})
		if err == nil {
			return attempt, true, nil
		}
		if !isDuplicate(err) {
			return 0, false, translate(err)
		}
		held, err := findOne[mailClaimDoc](ctx, s.coll(coll), byID(key))
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil || held.ExpiresAt.After(now) {
			return 0, false, err
		}
	}
	return 0, false, nil
}

// GetWebhookDelivery reads one delivery of orgID.
func (s *Store) GetWebhookDelivery(ctx context.Context, orgID, id string) (storage.WebhookDelivery, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOwned[deliveryDoc](ctx, s.coll(collWebhookDeliveries), orgID, id)
	if err != nil {
		return storage.WebhookDelivery{}, fmt.Errorf("get webhook delivery: %w", err)
	}
	return d.delivery(), nil
}

// ListWebhookDeliveries pages an endpoint's deliveries, newest first.
func (s *Store) ListWebhookDeliveries(ctx context.Context, orgID, endpointID string, cursor *storage.WebhookDeliveryCursor, limit int) ([]storage.WebhookDelivery, error) {
	limit = clamp(limit, 50, storage.MaxWebhookDeliveryList)
	filter := bson.D{{Key: "org_id", Value: orgID}, {Key: "endpoint_id", Value: endpointID}}
	if cursor != nil {
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "created_at", Value: bson.D{{Key: "$lt", Value: cursor.CreatedAt}}}},
			bson.D{{Key: "created_at", Value: cursor.CreatedAt}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: cursor.ID}}}},
		}})
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	list, err := findAll[deliveryDoc](ctx, s.coll(collWebhookDeliveries), filter, sorted(limit, desc("created_at"), desc("_id")))
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	return convert(list, deliveryDoc.delivery), nil
}

// ForgetWebhookVisitor clears the visitor's deliveries: first the open
// ones become dead without a body, then every other one loses its body
// (two UpdateMany; a crash in between leaves final deliveries with their
// bodies, which a repeat call clears).
func (s *Store) ForgetWebhookVisitor(ctx context.Context, orgID, visitorID string) (int, error) {
	if visitorID == "" {
		return 0, errors.New("forget webhook visitor: empty visitor id")
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	coll := s.coll(collWebhookDeliveries)
	mine := bson.D{{Key: "org_id", Value: orgID}, {Key: "visitor_id", Value: visitorID}}
	wipe := bson.D{{Key: "body", Value: ""}, {Key: "visitor_id", Value: ""}}
	open, err := coll.UpdateMany(ctx, append(mine, deliveryOpen()), bson.D{{Key: "$set", Value: append(wipe,
		bson.E{Key: "status", Value: string(storage.WebhookDead)},
		bson.E{Key: "last_error", Value: storage.WebhookErasedError})}})
	if err != nil {
		return 0, fmt.Errorf("forget webhook visitor: %w", translate(err))
	}
	rest, err := coll.UpdateMany(ctx, mine, bson.D{{Key: "$set", Value: wipe}})
	if err != nil {
		return int(open.ModifiedCount), fmt.Errorf("forget webhook visitor: %w", translate(err))
	}
	return int(open.ModifiedCount + rest.ModifiedCount), nil
}

// DeleteOldWebhookDeliveries removes final deliveries created before
// `before`, and the claims whose lease ended before it (uncounted).
func (s *Store) DeleteOldWebhookDeliveries(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{
		string(storage.WebhookDelivered), string(storage.WebhookDead)}}}},
		{Key: "created_at", Value: bson.D{{Key: "$lt", Value: before}}}}
	res, err := s.coll(collWebhookDeliveries).DeleteMany(ctx, filter)
	if err != nil {
		return 0, fmt.Errorf("delete old webhook deliveries: %w", translate(err))
	}
	expired := bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: before}}}}
	if _, err := s.coll(collWebhookClaims).DeleteMany(ctx, expired); err != nil {
		return int(res.DeletedCount), fmt.Errorf("delete expired webhook claims: %w", translate(err))
	}
	return int(res.DeletedCount), nil
}
