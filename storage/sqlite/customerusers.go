package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/helpr-chat/helpr/storage"
)

var _ storage.CustomerUserStore = (*Store)(nil)

const customerUserCols = `id, org_id, external_id, external_index, name, email, visitor_id, token_version,
	created_at, last_seen_at, deleted_at`

func scanCustomerUser(sc scanner) (storage.CustomerUser, error) {
	var u storage.CustomerUser
	err := sc.Scan(&u.ID, &u.OrgID, &u.ExternalID, &u.ExternalIndex, &u.Name, &u.Email, &u.VisitorID,
		&u.TokenVersion, at(&u.CreatedAt), at(&u.LastSeenAt), at(&u.DeletedAt))
	if len(u.ExternalIndex) == 0 {
		u.ExternalIndex = nil
	}
	return u, translate(err)
}

// CreateCustomerUser stores a new customer user (its sealed fields as
// given). ErrConflict for a taken id or external index.
func (s *Store) CreateCustomerUser(ctx context.Context, u storage.CustomerUser) error {
	if u.ID == "" || u.OrgID == "" || len(u.ExternalIndex) == 0 {
		return errors.New("create customer user: need an id, an organisation and an external index")
	}
	const q = "INSERT INTO customer_users (" + customerUserCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	_, err := s.w.ExecContext(ctx, q, u.ID, u.OrgID, u.ExternalID, u.ExternalIndex, u.Name, u.Email, u.VisitorID,
		u.TokenVersion, ms(u.CreatedAt), ms(u.LastSeenAt), ms(u.DeletedAt))
	if err != nil {
		return fmt.Errorf("create customer user %s: %w", u.ID, translate(err))
	}
	return nil
}

// GetCustomerUser returns customer user id of orgID, erased or not.
func (s *Store) GetCustomerUser(ctx context.Context, orgID, id string) (storage.CustomerUser, error) {
	const q = "SELECT " + customerUserCols + " FROM customer_users WHERE id = ? AND org_id = ?"
	u, err := scanCustomerUser(s.r.QueryRowContext(ctx, q, id, orgID))
	if err != nil {
		return storage.CustomerUser{}, fmt.Errorf("get customer user %s: %w", id, err)
	}
	return u, nil
}

// FindCustomerUser returns the organisation's non-erased user whose
// external index is one of indexes.
func (s *Store) FindCustomerUser(ctx context.Context, orgID string, indexes [][]byte) (storage.CustomerUser, error) {
	args := []any{orgID}
	for _, ix := range indexes {
		if len(ix) > 0 {
			args = append(args, ix)
		}
	}
	if len(args) == 1 {
		return storage.CustomerUser{}, fmt.Errorf("find customer user: %w", storage.ErrNotFound)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)-1), ", ")
	q := "SELECT " + customerUserCols + " FROM customer_users WHERE org_id = ? AND external_index IN (" + marks +
		") AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1"
	u, err := scanCustomerUser(s.r.QueryRowContext(ctx, q, args...))
	if err != nil {
		return storage.CustomerUser{}, fmt.Errorf("find customer user: %w", err)
	}
	return u, nil
}

// UpdateCustomerUser replaces the user's external id and index, name,
// email and last-seen time. An erased user is ErrNotFound.
func (s *Store) UpdateCustomerUser(ctx context.Context, u storage.CustomerUser) error {
	const q = `UPDATE customer_users SET external_id = ?, external_index = ?, name = ?, email = ?, last_seen_at = ?
		WHERE id = ? AND org_id = ? AND deleted_at IS NULL`
	err := s.execOne(ctx, q, u.ExternalID, blob(u.ExternalIndex), u.Name, u.Email, ms(u.LastSeenAt), u.ID, u.OrgID)
	if err != nil {
		return fmt.Errorf("update customer user %s: %w", u.ID, err)
	}
	return nil
}

// GetCustomerUserByVisitor returns the active user linked to visitorID.
func (s *Store) GetCustomerUserByVisitor(ctx context.Context, orgID, visitorID string) (storage.CustomerUser, error) {
	if visitorID == "" {
		return storage.CustomerUser{}, fmt.Errorf("customer user of visitor: %w", storage.ErrNotFound)
	}
	const q = "SELECT " + customerUserCols + ` FROM customer_users WHERE org_id = ? AND visitor_id = ?
		AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1`
	u, err := scanCustomerUser(s.r.QueryRowContext(ctx, q, orgID, visitorID))
	if err != nil {
		return storage.CustomerUser{}, fmt.Errorf("customer user of visitor %s: %w", visitorID, err)
	}
	return u, nil
}

// ScanCustomerUsers returns users of every organisation after afterID, by
// id. For maintenance only.
func (s *Store) ScanCustomerUsers(ctx context.Context, afterID string, limit int) ([]storage.CustomerUser, error) {
	const q = "SELECT " + customerUserCols + " FROM customer_users WHERE id > ? ORDER BY id LIMIT ?"
	list, err := queryList(ctx, s.r, scanCustomerUser, q, afterID, clamp(limit, defaultScanLimit, maxScanLimit))
	if err != nil {
		return nil, fmt.Errorf("scan customer users after %q: %w", afterID, err)
	}
	return list, nil
}

// SetCustomerUserVisitor links a visitor-less user to visitorID.
func (s *Store) SetCustomerUserVisitor(ctx context.Context, orgID, id, visitorID string) error {
	if visitorID == "" {
		return errors.New("set customer user visitor: empty visitor id")
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE customer_users SET visitor_id = ?
			WHERE id = ? AND org_id = ? AND deleted_at IS NULL AND visitor_id = ''`, visitorID, id, orgID)
		if err != nil {
			return translate(err)
		}
		if oneRow(res) == nil {
			return nil
		}
		return activeCustomerUserConflict(ctx, tx, orgID, id)
	})
	if err != nil {
		return fmt.Errorf("set visitor of customer user %s: %w", id, err)
	}
	return nil
}

// activeCustomerUserConflict is the error of a conditional write that
// matched nothing: ErrConflict when the user exists and is active,
// ErrNotFound otherwise.
func activeCustomerUserConflict(ctx context.Context, tx *sql.Tx, orgID, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM customer_users WHERE id = ? AND org_id = ? AND deleted_at IS NULL",
		id, orgID).Scan(&one)
	if err = translate(err); err != nil {
		return err
	}
	return storage.ErrConflict
}

// BumpCustomerUserTokenVersion adds one to the user's token version.
func (s *Store) BumpCustomerUserTokenVersion(ctx context.Context, orgID, id string) (int64, error) {
	var v int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		return translate(tx.QueryRowContext(ctx, `UPDATE customer_users SET token_version = token_version + 1
			WHERE id = ? AND org_id = ? AND deleted_at IS NULL RETURNING token_version`, id, orgID).Scan(&v))
	})
	if err != nil {
		return 0, fmt.Errorf("bump token version of customer user %s: %w", id, err)
	}
	return v, nil
}

// ListCustomerUsers returns a page of the organisation's active users,
// newest first.
func (s *Store) ListCustomerUsers(ctx context.Context, orgID string, cursor *storage.CustomerUserCursor, limit int) ([]storage.CustomerUser, error) {
	q := "SELECT " + customerUserCols + " FROM customer_users WHERE org_id = ? AND deleted_at IS NULL"
	args := []any{orgID}
	if cursor != nil {
		q += " AND (created_at < ? OR (created_at = ? AND id < ?))"
		args = append(args, ms(cursor.CreatedAt), ms(cursor.CreatedAt), cursor.ID)
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, clamp(limit, 50, storage.MaxCustomerUserList))
	list, err := queryList(ctx, s.r, scanCustomerUser, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list customer users: %w", err)
	}
	return list, nil
}

// eraseCustomerUser erases the customer user linked to an erased visitor
// (erasure): its sealed fields and index are cleared and deleted_at set.
func eraseCustomerUser(ctx context.Context, tx *sql.Tx, e storage.Erasure) error {
	if e.Kind != storage.SubjectVisitor {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE customer_users SET external_id = '', external_index = NULL, name = '',
		email = '', deleted_at = ? WHERE org_id = ? AND visitor_id = ? AND deleted_at IS NULL`, ms(e.At), e.OrgID, e.SubjectID)
	return translate(err)
}
