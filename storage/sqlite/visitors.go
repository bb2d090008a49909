package sqlite

import (
	"context"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

const visitorCols = "id, org_id, widget_id, name, email, phone, created_at, last_seen_at"

// CreateVisitor stores a new visitor. Name, Email and Phone are stored as
// given (the caller encrypts them).
func (s *Store) CreateVisitor(ctx context.Context, v storage.Visitor) error {
	if v.ID == "" {
		return fmt.Errorf("create visitor: empty id")
	}
	const q = "INSERT INTO visitors (" + visitorCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	_, err := s.w.ExecContext(ctx, q, v.ID, v.OrgID, v.WidgetID, v.Name, v.Email, v.Phone,
		ms(v.CreatedAt), ms(v.LastSeenAt))
	if err != nil {
		return fmt.Errorf("create visitor %s: %w", v.ID, translate(err))
	}
	return nil
}

// GetVisitor returns visitor id of organisation orgID.
func (s *Store) GetVisitor(ctx context.Context, orgID, id string) (storage.Visitor, error) {
	const q = "SELECT " + visitorCols + " FROM visitors WHERE id = ? AND org_id = ?"
	var v storage.Visitor
	err := s.r.QueryRowContext(ctx, q, id, orgID).Scan(&v.ID, &v.OrgID, &v.WidgetID,
		&v.Name, &v.Email, &v.Phone, at(&v.CreatedAt), at(&v.LastSeenAt))
	if err != nil {
		return storage.Visitor{}, fmt.Errorf("get visitor %s: %w", id, translate(err))
	}
	return v, nil
}

// UpdateVisitor replaces the visitor's name, email, phone and last-seen
// time, matched by OrgID and ID.
func (s *Store) UpdateVisitor(ctx context.Context, v storage.Visitor) error {
	const q = `UPDATE visitors SET name = ?, email = ?, phone = ?, last_seen_at = ?
		WHERE id = ? AND org_id = ?`
	if err := s.execOne(ctx, q, v.Name, v.Email, v.Phone, ms(v.LastSeenAt), v.ID, v.OrgID); err != nil {
		return fmt.Errorf("update visitor %s: %w", v.ID, err)
	}
	return nil
}
