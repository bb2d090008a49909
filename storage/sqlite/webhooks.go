package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

const endpointCols = `id, org_id, url, description, events, secret, previous_secret, previous_secret_until,
	enabled, disabled_reason, disabled_at, consecutive_failures, created_by, created_at, updated_at`

func scanEndpoint(sc scanner) (storage.WebhookEndpoint, error) {
	var e storage.WebhookEndpoint
	err := sc.Scan(&e.ID, &e.OrgID, &e.URL, &e.Description, origins{&e.Events}, &e.Secret, &e.PreviousSecret,
		at(&e.PreviousSecretUntil), &e.Enabled, &e.DisabledReason, at(&e.DisabledAt), &e.ConsecutiveFailures,
		&e.CreatedBy, at(&e.CreatedAt), at(&e.UpdatedAt))
	return e, translate(err)
}

// CreateWebhookEndpoint inserts a new endpoint; ErrConflict on a taken id.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e storage.WebhookEndpoint) error {
	if err := storage.CheckWebhookEndpoint(e); err != nil {
		return fmt.Errorf("create webhook endpoint: %w", err)
	}
	events, err := encodeOrigins(e.Events)
	if err != nil {
		return fmt.Errorf("create webhook endpoint: %w", err)
	}
	const q = "INSERT INTO webhook_endpoints (" + endpointCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	_, err = s.w.ExecContext(ctx, q, e.ID, e.OrgID, e.URL, e.Description, events, e.Secret, e.PreviousSecret,
		ms(e.PreviousSecretUntil), e.Enabled, e.DisabledReason, ms(e.DisabledAt), e.ConsecutiveFailures,
		e.CreatedBy, ms(e.CreatedAt), ms(e.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create webhook endpoint: %w", translate(err))
	}
	return nil
}

// GetWebhookEndpoint reads one endpoint of orgID.
func (s *Store) GetWebhookEndpoint(ctx context.Context, orgID, id string) (storage.WebhookEndpoint, error) {
	const q = "SELECT " + endpointCols + " FROM webhook_endpoints WHERE id = ? AND org_id = ?"
	e, err := scanEndpoint(s.r.QueryRowContext(ctx, q, id, orgID))
	if err != nil {
		return storage.WebhookEndpoint{}, fmt.Errorf("get webhook endpoint: %w", err)
	}
	return e, nil
}

// ListWebhookEndpoints lists orgID's endpoints, oldest first.
func (s *Store) ListWebhookEndpoints(ctx context.Context, orgID string) ([]storage.WebhookEndpoint, error) {
	const q = "SELECT " + endpointCols + " FROM webhook_endpoints WHERE org_id = ? ORDER BY created_at, rowid"
	list, err := queryList(ctx, s.r, scanEndpoint, q, orgID)
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", translate(err))
	}
	return list, nil
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

// UpdateWebhookEndpoint replaces the endpoint's mutable fields.
func (s *Store) UpdateWebhookEndpoint(ctx context.Context, e storage.WebhookEndpoint) error {
	if err := storage.CheckWebhookEndpoint(e); err != nil {
		return fmt.Errorf("update webhook endpoint: %w", err)
	}
	events, err := encodeOrigins(e.Events)
	if err != nil {
		return fmt.Errorf("update webhook endpoint: %w", err)
	}
	const q = `UPDATE webhook_endpoints SET url = ?, description = ?, events = ?, secret = ?, previous_secret = ?,
		previous_secret_until = ?, enabled = ?, disabled_reason = ?, disabled_at = ?, consecutive_failures = ?,
		updated_at = ? WHERE id = ? AND org_id = ?`
	err = s.execOne(ctx, q, e.URL, e.Description, events, e.Secret, e.PreviousSecret, ms(e.PreviousSecretUntil),
		e.Enabled, e.DisabledReason, ms(e.DisabledAt), e.ConsecutiveFailures, ms(e.UpdatedAt), e.ID, e.OrgID)
	if err != nil {
		return fmt.Errorf("update webhook endpoint: %w", err)
	}
	return nil
}

// DeleteWebhookEndpoint removes the endpoint and its deliveries.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, orgID, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM webhook_endpoints WHERE id = ? AND org_id = ?", id, orgID)
		if err != nil {
			return translate(err)
		}
		if err := oneRow(res); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM webhook_deliveries WHERE org_id = ? AND endpoint_id = ?", orgID, id)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("delete webhook endpoint: %w", err)
	}
	return nil
}
