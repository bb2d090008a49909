package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// maxOneTimeList is the most tokens ListOneTime returns.
const maxOneTimeList = 500

const oneTimeCols = `purpose, id, org_id, subject_id, code_hash, data, attempts, max_attempts,
	created_at, expires_at, consumed_at`

// oneTimeValid is the SQL form of storage.OneTime.ValidAt at the first
// parameter (Unix milliseconds).
const oneTimeValid = `consumed_at IS NULL AND expires_at > ?
	AND (max_attempts <= 0 OR attempts <= max_attempts)`

func scanOneTime(sc scanner) (storage.OneTime, error) {
	var t storage.OneTime
	var purpose string
	err := sc.Scan(&purpose, &t.ID, &t.OrgID, &t.SubjectID, &t.CodeHash, &t.Data, &t.Attempts,
		&t.MaxAttempts, at(&t.CreatedAt), at(&t.ExpiresAt), at(&t.ConsumedAt))
	t.Purpose = storage.OneTimePurpose(purpose)
	return t, translate(err)
}

// checkOneTime refuses a token no backend may store.
func checkOneTime(t storage.OneTime) error {
	switch {
	case t.Purpose == "" || t.ID == "":
		return errors.New("empty purpose or id")
	case t.ExpiresAt.IsZero():
		return errors.New("zero expiry")
	case t.Attempts < 0 || t.MaxAttempts < 0:
		return errors.New("negative attempts")
	}
	return nil
}

// PutOneTime stores t, replacing any token with the same purpose and id
// (an upsert on the primary key).
func (s *Store) PutOneTime(ctx context.Context, t storage.OneTime) error {
	if err := checkOneTime(t); err != nil {
		return fmt.Errorf("put one-time %s: %w", t.Purpose, err)
	}
	const q = "INSERT INTO onetime (" + oneTimeCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (purpose, id) DO UPDATE SET org_id = excluded.org_id,
		subject_id = excluded.subject_id, code_hash = excluded.code_hash, data = excluded.data,
		attempts = excluded.attempts, max_attempts = excluded.max_attempts,
		created_at = excluded.created_at, expires_at = excluded.expires_at,
		consumed_at = excluded.consumed_at`
	_, err := s.w.ExecContext(ctx, q, string(t.Purpose), t.ID, t.OrgID, t.SubjectID, t.CodeHash,
		t.Data, t.Attempts, t.MaxAttempts, ms(t.CreatedAt), ms(t.ExpiresAt), ms(t.ConsumedAt))
	if err != nil {
		return fmt.Errorf("put one-time %s: %w", t.Purpose, translate(err))
	}
	return nil
}

// GetOneTime returns the token of purpose with id as stored.
func (s *Store) GetOneTime(ctx context.Context, purpose storage.OneTimePurpose, id string) (storage.OneTime, error) {
	const q = "SELECT " + oneTimeCols + " FROM onetime WHERE purpose = ? AND id = ?"
	t, err := scanOneTime(s.r.QueryRowContext(ctx, q, string(purpose), id))
	if err != nil {
		return storage.OneTime{}, fmt.Errorf("get one-time %s: %w", purpose, err)
	}
	return t, nil
}

// ChargeOneTimeAttempt increments Attempts in one conditional UPDATE
// (unconsumed, unexpired at now, Attempts < MaxAttempts) and returns the
// token as updated. A token without attempt counting (MaxAttempts 0)
// cannot be charged: ErrConflict.
func (s *Store) ChargeOneTimeAttempt(ctx context.Context, purpose storage.OneTimePurpose, id string, now time.Time) (storage.OneTime, error) {
	const q = "UPDATE onetime SET attempts = attempts + 1 WHERE purpose = ? AND id = ? AND " +
		oneTimeValid + " AND attempts < max_attempts RETURNING " + oneTimeCols
	t, err := s.changeOneTime(ctx, purpose, id, q, string(purpose), id, now.UnixMilli())
	if err != nil {
		return storage.OneTime{}, fmt.Errorf("charge one-time %s: %w", purpose, err)
	}
	return t, nil
}

// ConsumeOneTime sets ConsumedAt to now in one conditional UPDATE (valid at
// now) and returns the token as it was before (ConsumedAt zero).
func (s *Store) ConsumeOneTime(ctx context.Context, purpose storage.OneTimePurpose, id string, now time.Time) (storage.OneTime, error) {
	const q = "UPDATE onetime SET consumed_at = ? WHERE purpose = ? AND id = ? AND " +
		oneTimeValid + " RETURNING " + oneTimeCols
	t, err := s.changeOneTime(ctx, purpose, id, q, now.UnixMilli(), string(purpose), id, now.UnixMilli())
	if err != nil {
		return storage.OneTime{}, fmt.Errorf("consume one-time %s: %w", purpose, err)
	}
	t.ConsumedAt = time.Time{}
	return t, nil
}

// changeOneTime runs q, a conditional UPDATE … RETURNING of token (purpose,
// id), with args in a write transaction. When it matches nothing, a read
// in the same transaction tells a missing token (ErrNotFound) from one the
// condition refused (ErrConflict).
func (s *Store) changeOneTime(ctx context.Context, purpose storage.OneTimePurpose, id, q string, args ...any) (storage.OneTime, error) {
	var t storage.OneTime
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanOneTime(tx.QueryRowContext(ctx, q, args...))
		if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		var one int
		const exists = "SELECT 1 FROM onetime WHERE purpose = ? AND id = ?"
		if err := tx.QueryRowContext(ctx, exists, string(purpose), id).Scan(&one); err != nil {
			return translate(err)
		}
		return fmt.Errorf("%w: token used up, consumed or expired", storage.ErrConflict)
	})
	return t, err
}

// ListOneTime returns the organisation's tokens of purpose valid at now,
// newest first, at most 500.
func (s *Store) ListOneTime(ctx context.Context, orgID string, purpose storage.OneTimePurpose, now time.Time) ([]storage.OneTime, error) {
	const q = "SELECT " + oneTimeCols + " FROM onetime WHERE org_id = ? AND purpose = ? AND " +
		oneTimeValid + " ORDER BY created_at DESC, rowid DESC LIMIT ?"
	list, err := queryList(ctx, s.r, scanOneTime, q, orgID, string(purpose), now.UnixMilli(), maxOneTimeList)
	if err != nil {
		return nil, fmt.Errorf("list one-time %s: %w", purpose, err)
	}
	return list, nil
}

// RevokeOneTime consumes the organisation's unconsumed token in one
// conditional UPDATE; ErrNotFound if it matched none.
func (s *Store) RevokeOneTime(ctx context.Context, orgID string, purpose storage.OneTimePurpose, id string, now time.Time) error {
	const q = `UPDATE onetime SET consumed_at = ? WHERE purpose = ? AND id = ? AND org_id = ?
		AND consumed_at IS NULL`
	if err := s.execOne(ctx, q, now.UnixMilli(), string(purpose), id, orgID); err != nil {
		return fmt.Errorf("revoke one-time %s: %w", purpose, err)
	}
	return nil
}

// RevokeOneTimeForSubject consumes, in one UPDATE, every unconsumed token
// of purposes whose org_id and subject_id match. An empty subject id is
// refused (it would name every token bound to nobody); no purposes
// revoke nothing.
func (s *Store) RevokeOneTimeForSubject(ctx context.Context, orgID, subjectID string, purposes []storage.OneTimePurpose, now time.Time) (int, error) {
	if subjectID == "" {
		return 0, errors.New("revoke one-time for subject: empty subject id")
	}
	if len(purposes) == 0 {
		return 0, nil
	}
	args := []any{now.UnixMilli(), orgID, subjectID}
	for _, p := range purposes {
		args = append(args, string(p))
	}
	q := `UPDATE onetime SET consumed_at = ? WHERE org_id = ? AND subject_id = ?
		AND consumed_at IS NULL AND purpose IN (?` + strings.Repeat(", ?", len(purposes)-1) + ")"
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("revoke one-time for subject: %w", translate(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteExpiredOneTime removes tokens that expired strictly before
// `before` and returns how many.
func (s *Store) DeleteExpiredOneTime(ctx context.Context, before time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, "DELETE FROM onetime WHERE expires_at < ?", before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete expired one-time: %w", translate(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}
