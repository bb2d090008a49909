package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// RecordWebhookAttempt stores the attempt and its endpoint effect in one
// write transaction.
func (s *Store) RecordWebhookAttempt(ctx context.Context, a storage.WebhookAttempt) (storage.WebhookAttemptResult, error) {
	if err := storage.CheckWebhookAttempt(a); err != nil {
		return storage.WebhookAttemptResult{}, fmt.Errorf("record webhook attempt: %w", err)
	}
	var res storage.WebhookAttemptResult
	err := s.write(ctx, func(tx *sql.Tx) error {
		d, err := recordDelivery(ctx, tx, a)
		if err != nil {
			return err
		}
		res, err = applyEffect(ctx, tx, a, d.EndpointID)
		res.Delivery = d
		return err
	})
	if err != nil {
		return storage.WebhookAttemptResult{}, fmt.Errorf("record webhook attempt: %w", err)
	}
	return res, nil
}

// recordDelivery updates the delivery if the attempt is its latest claim,
// not recorded yet (the lease is set), and it is not final; otherwise
// ErrNotFound or ErrConflict.
func recordDelivery(ctx context.Context, tx *sql.Tx, a storage.WebhookAttempt) (storage.WebhookDelivery, error) {
	const q = `UPDATE webhook_deliveries SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at),
		lease_until = NULL, last_status_code = ?, last_latency_ms = ?, last_error = ?,
		delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END
		WHERE id = ? AND org_id = ? AND attempts = ? AND lease_until IS NOT NULL AND ` + deliveryOpen + " RETURNING " + deliveryCols
	d, err := scanDelivery(tx.QueryRowContext(ctx, q, a.Status, ms(a.NextAttemptAt), a.StatusCode, a.LatencyMs,
		a.Error, a.Status, a.At.UnixMilli(), a.DeliveryID, a.OrgID, a.Attempt))
	if !errors.Is(err, storage.ErrNotFound) {
		return d, err
	}
	var one int
	err = tx.QueryRowContext(ctx, "SELECT 1 FROM webhook_deliveries WHERE id = ? AND org_id = ?", a.DeliveryID, a.OrgID).Scan(&one)
	if err != nil {
		return storage.WebhookDelivery{}, translate(err)
	}
	return storage.WebhookDelivery{}, fmt.Errorf("%w: delivery claimed again or final", storage.ErrConflict)
}

// applyEffect applies a.Effect to endpoint id (a missing endpoint is
// left alone).
func applyEffect(ctx context.Context, tx *sql.Tx, a storage.WebhookAttempt, id string) (storage.WebhookAttemptResult, error) {
	var set string
	switch a.Effect {
	case storage.WebhookEffectNone:
		return storage.WebhookAttemptResult{}, nil
	case storage.WebhookEffectSuccess:
		set = "consecutive_failures = 0"
	default:
		set = "consecutive_failures = consecutive_failures + 1"
	}
	q := "UPDATE webhook_endpoints SET " + set + " WHERE id = ? AND org_id = ? RETURNING " + endpointCols
	e, err := scanEndpoint(tx.QueryRowContext(ctx, q, id, a.OrgID))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.WebhookAttemptResult{}, nil
	}
	if err != nil {
		return storage.WebhookAttemptResult{}, err
	}
	reason := storage.WebhookDisableReason(a, e)
	if reason == "" {
		return storage.WebhookAttemptResult{Endpoint: e}, nil
	}
	const dq = `UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, disabled_at = ?, updated_at = ?
		WHERE id = ? AND org_id = ? AND enabled = 1 RETURNING ` + endpointCols
	e, err = scanEndpoint(tx.QueryRowContext(ctx, dq, reason, a.At.UnixMilli(), a.At.UnixMilli(), id, a.OrgID))
	if err != nil {
		return storage.WebhookAttemptResult{}, err
	}
	return storage.WebhookAttemptResult{Endpoint: e, Disabled: true}, nil
}
