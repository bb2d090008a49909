package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/helpr-chat/helpr/storage"
)

// Visitor scan limits (ScanVisitors).
const (
	defaultScanLimit = 500
	maxScanLimit     = 5000
)

const visitorCols = `id, org_id, widget_id, name, email, phone, email_index, created_at,
	last_seen_at, deleted_at`

func scanVisitor(sc scanner) (storage.Visitor, error) {
	var v storage.Visitor
	err := sc.Scan(&v.ID, &v.OrgID, &v.WidgetID, &v.Name, &v.Email, &v.Phone, &v.EmailIndex,
		at(&v.CreatedAt), at(&v.LastSeenAt), at(&v.DeletedAt))
	if len(v.EmailIndex) == 0 {
		v.EmailIndex = nil
	}
	return v, translate(err)
}

// blob stores an empty byte slice as NULL.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateVisitor stores a new visitor. Name, Email and Phone are stored as
// given (the caller seals them); an empty EmailIndex is stored as NULL.
func (s *Store) CreateVisitor(ctx context.Context, v storage.Visitor) error {
	if v.ID == "" {
		return fmt.Errorf("create visitor: empty id")
	}
	const q = "INSERT INTO visitors (" + visitorCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	_, err := s.w.ExecContext(ctx, q, v.ID, v.OrgID, v.WidgetID, v.Name, v.Email, v.Phone,
		blob(v.EmailIndex), ms(v.CreatedAt), ms(v.LastSeenAt), ms(v.DeletedAt))
	if err != nil {
		return fmt.Errorf("create visitor %s: %w", v.ID, translate(err))
	}
	return nil
}

// GetVisitor returns visitor id of organisation orgID, erased or not.
func (s *Store) GetVisitor(ctx context.Context, orgID, id string) (storage.Visitor, error) {
	const q = "SELECT " + visitorCols + " FROM visitors WHERE id = ? AND org_id = ?"
	v, err := scanVisitor(s.r.QueryRowContext(ctx, q, id, orgID))
	if err != nil {
		return storage.Visitor{}, fmt.Errorf("get visitor %s: %w", id, err)
	}
	return v, nil
}

// UpdateVisitor replaces the visitor's name, email, phone, email index and
// last-seen time, matched by OrgID and ID. An erased visitor is ErrNotFound.
func (s *Store) UpdateVisitor(ctx context.Context, v storage.Visitor) error {
	const q = `UPDATE visitors SET name = ?, email = ?, phone = ?, email_index = ?, last_seen_at = ?
		WHERE id = ? AND org_id = ? AND deleted_at IS NULL`
	err := s.execOne(ctx, q, v.Name, v.Email, v.Phone, blob(v.EmailIndex), ms(v.LastSeenAt), v.ID, v.OrgID)
	if err != nil {
		return fmt.Errorf("update visitor %s: %w", v.ID, err)
	}
	return nil
}

// FindVisitorByEmailIndex returns the organisation's non-erased visitor
// whose email index equals one of indexes, the most recently seen first
// (then the most recently created). Empty indexes never match. ErrNotFound
// if none does.
func (s *Store) FindVisitorByEmailIndex(ctx context.Context, orgID string, indexes [][]byte) (storage.Visitor, error) {
	args := []any{orgID}
	for _, ix := range indexes {
		if len(ix) > 0 {
			args = append(args, ix)
		}
	}
	if len(args) == 1 {
		return storage.Visitor{}, fmt.Errorf("find visitor by email index: %w", storage.ErrNotFound)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)-1), ", ")
	q := "SELECT " + visitorCols + " FROM visitors WHERE org_id = ? AND email_index IN (" + marks + `)
		AND deleted_at IS NULL ORDER BY last_seen_at DESC, created_at DESC, id DESC LIMIT 1`
	v, err := scanVisitor(s.r.QueryRowContext(ctx, q, args...))
	if err != nil {
		return storage.Visitor{}, fmt.Errorf("find visitor by email index: %w", err)
	}
	return v, nil
}

// ScanVisitors returns up to limit visitors of every organisation with ID >
// afterID, ordered by ID, erased ones included. limit <= 0 means 500; it is
// capped at 5000. For maintenance only.
func (s *Store) ScanVisitors(ctx context.Context, afterID string, limit int) ([]storage.Visitor, error) {
	const q = "SELECT " + visitorCols + " FROM visitors WHERE id > ? ORDER BY id LIMIT ?"
	n := clamp(limit, defaultScanLimit, maxScanLimit)
	list, err := queryList(ctx, s.r, scanVisitor, q, afterID, n)
	if err != nil {
		return nil, fmt.Errorf("scan visitors after %q: %w", afterID, err)
	}
	return list, nil
}
