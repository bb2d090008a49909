package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

const deliveryCols = `id, org_id, endpoint_id, event, body, visitor_id, status, attempts, next_attempt_at,
	lease_until, last_status_code, last_latency_ms, last_error, created_at, delivered_at`

// deliveryOpen is the SQL form of "not final".
const deliveryOpen = "status IN ('pending', 'failed')"

func scanDelivery(sc scanner) (storage.WebhookDelivery, error) {
	var d storage.WebhookDelivery
	err := sc.Scan(&d.ID, &d.OrgID, &d.EndpointID, &d.Event, &d.Body, &d.VisitorID, &d.Status, &d.Attempts,
		at(&d.NextAttemptAt), at(&d.LeaseUntil), &d.LastStatusCode, &d.LastLatencyMs, &d.LastError,
		at(&d.CreatedAt), at(&d.DeliveredAt))
	return d, translate(err)
}

// EnqueueWebhookDeliveries inserts the deliveries in one transaction.
func (s *Store) EnqueueWebhookDeliveries(ctx context.Context, ds []storage.WebhookDelivery) error {
	if len(ds) > storage.MaxWebhookEnqueue {
		return fmt.Errorf("enqueue webhook deliveries: %d deliveries, at most %d", len(ds), storage.MaxWebhookEnqueue)
	}
	for _, d := range ds {
		if err := storage.CheckWebhookDelivery(d); err != nil {
			return fmt.Errorf("enqueue webhook deliveries: %w", err)
		}
	}
	if len(ds) == 0 {
		return nil
	}
	const q = "INSERT INTO webhook_deliveries (" + deliveryCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, d := range ds {
			_, err := tx.ExecContext(ctx, q, d.ID, d.OrgID, d.EndpointID, d.Event, d.Body, d.VisitorID, d.Status,
				d.Attempts, ms(d.NextAttemptAt), ms(d.LeaseUntil), d.LastStatusCode, d.LastLatencyMs, d.LastError,
				ms(d.CreatedAt), ms(d.DeliveredAt))
			if err != nil {
				return translate(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("enqueue webhook deliveries: %w", err)
	}
	return nil
}

// ClaimWebhookDeliveries selects the due deliveries and leases them in one
// write transaction: the single write connection makes it exclusive.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]storage.WebhookDelivery, error) {
	if lease <= 0 {
		return nil, errors.New("claim webhook deliveries: lease must be positive")
	}
	limit = min(limit, storage.MaxWebhookClaim)
	if limit <= 0 {
		return nil, nil
	}
	var out []storage.WebhookDelivery
	err := s.write(ctx, func(tx *sql.Tx) error {
		const q = "SELECT id FROM webhook_deliveries WHERE " + deliveryOpen +
			" AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at, rowid LIMIT ?"
		ids, err := queryIDs(ctx, tx, q, now.UnixMilli(), now.UnixMilli(), limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		out, err = leaseInOrder(ctx, tx, "UPDATE webhook_deliveries SET attempts = attempts + 1, lease_until = ?", deliveryCols,
			ids, now.Add(lease), scanDelivery, func(d storage.WebhookDelivery) string { return d.ID })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	return out, nil
}

// GetWebhookDelivery reads one delivery of orgID.
func (s *Store) GetWebhookDelivery(ctx context.Context, orgID, id string) (storage.WebhookDelivery, error) {
	const q = "SELECT " + deliveryCols + " FROM webhook_deliveries WHERE id = ? AND org_id = ?"
	d, err := scanDelivery(s.r.QueryRowContext(ctx, q, id, orgID))
	if err != nil {
		return storage.WebhookDelivery{}, fmt.Errorf("get webhook delivery: %w", err)
	}
	return d, nil
}

// ListWebhookDeliveries pages an endpoint's deliveries, newest first.
func (s *Store) ListWebhookDeliveries(ctx context.Context, orgID, endpointID string, cursor *storage.WebhookDeliveryCursor, limit int) ([]storage.WebhookDelivery, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, storage.MaxWebhookDeliveryList)
	q := "SELECT " + deliveryCols + " FROM webhook_deliveries WHERE org_id = ? AND endpoint_id = ?"
	args := []any{orgID, endpointID}
	if cursor != nil {
		q += " AND (created_at < ? OR (created_at = ? AND id < ?))"
		c := cursor.CreatedAt.UnixMilli()
		args = append(args, c, c, cursor.ID)
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	list, err := queryList(ctx, s.r, scanDelivery, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", translate(err))
	}
	return list, nil
}

// ForgetWebhookVisitor clears the visitor's deliveries in one write.
func (s *Store) ForgetWebhookVisitor(ctx context.Context, orgID, visitorID string) (int, error) {
	if visitorID == "" {
		return 0, errors.New("forget webhook visitor: empty visitor id")
	}
	const q = `UPDATE webhook_deliveries SET body = '', visitor_id = '',
		last_error = CASE WHEN ` + deliveryOpen + ` THEN ? ELSE last_error END,
		status = CASE WHEN ` + deliveryOpen + ` THEN 'dead' ELSE status END
		WHERE org_id = ? AND visitor_id = ?`
	res, err := s.w.ExecContext(ctx, q, storage.WebhookErasedError, orgID, visitorID)
	if err != nil {
		return 0, fmt.Errorf("forget webhook visitor: %w", translate(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteOldWebhookDeliveries removes final deliveries created before
// `before`.
func (s *Store) DeleteOldWebhookDeliveries(ctx context.Context, before time.Time) (int, error) {
	const q = "DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'dead') AND created_at < ?"
	res, err := s.w.ExecContext(ctx, q, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete old webhook deliveries: %w", translate(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}
