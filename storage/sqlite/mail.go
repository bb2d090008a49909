package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

const mailCols = `id, org_id, kind, to_addr, subject, text, attempts, created_at, next_at,
	sent_at, failed_at`

// mailPending is the SQL form of "neither sent nor given up".
const mailPending = "sent_at IS NULL AND failed_at IS NULL"

func scanMail(sc scanner) (storage.Mail, error) {
	var m storage.Mail
	err := sc.Scan(&m.ID, &m.OrgID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.Attempts,
		at(&m.CreatedAt), at(&m.NextAt), at(&m.SentAt), at(&m.FailedAt))
	return m, translate(err)
}

// EnqueueMail inserts a new mail; ErrConflict on a taken id.
func (s *Store) EnqueueMail(ctx context.Context, m storage.Mail) error {
	if err := storage.CheckMail(m); err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	const q = "INSERT INTO mail_queue (" + mailCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	_, err := s.w.ExecContext(ctx, q, m.ID, m.OrgID, m.Kind, m.To, m.Subject, m.Text, m.Attempts,
		ms(m.CreatedAt), ms(m.NextAt), ms(m.SentAt), ms(m.FailedAt))
	if err != nil {
		return fmt.Errorf("enqueue mail: %w", translate(err))
	}
	return nil
}

// ClaimMail selects the due mails and leases them in one write
// transaction: the single write connection makes it exclusive.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]storage.Mail, error) {
	if lease <= 0 {
		return nil, errors.New("claim mail: lease must be positive")
	}
	limit = min(limit, storage.MaxMailClaim)
	if limit <= 0 {
		return nil, nil
	}
	var out []storage.Mail
	err := s.write(ctx, func(tx *sql.Tx) error {
		const due = "SELECT id FROM mail_queue WHERE " + mailPending + " AND next_at <= ? ORDER BY next_at, rowid LIMIT ?"
		ids, err := queryIDs(ctx, tx, due, now.UnixMilli(), limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		out, err = leaseInOrder(ctx, tx, "UPDATE mail_queue SET attempts = attempts + 1, next_at = ?", mailCols,
			ids, now.Add(lease), scanMail, func(m storage.Mail) string { return m.ID })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	return out, nil
}

// MarkMailSent sets sent_at once (COALESCE keeps the first time).
func (s *Store) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	const q = "UPDATE mail_queue SET sent_at = COALESCE(sent_at, ?) WHERE id = ?"
	if err := s.execOne(ctx, q, at.UnixMilli(), id); err != nil {
		return fmt.Errorf("mark mail sent: %w", err)
	}
	return nil
}

// MarkMailFailed moves next_at to retryAt if claim attempt is the latest.
func (s *Store) MarkMailFailed(ctx context.Context, id string, attempt int, retryAt time.Time) error {
	const q = "UPDATE mail_queue SET next_at = ? WHERE id = ? AND attempts = ? AND " + mailPending
	if err := s.fencedMail(ctx, id, q, retryAt.UnixMilli(), id, attempt); err != nil {
		return fmt.Errorf("mark mail failed: %w", err)
	}
	return nil
}

// GiveUpMail sets failed_at if claim attempt is the latest.
func (s *Store) GiveUpMail(ctx context.Context, id string, attempt int, at time.Time) error {
	const q = "UPDATE mail_queue SET failed_at = ? WHERE id = ? AND attempts = ? AND " + mailPending
	if err := s.fencedMail(ctx, id, q, at.UnixMilli(), id, attempt); err != nil {
		return fmt.Errorf("give up mail: %w", err)
	}
	return nil
}

// fencedMail runs q, a conditional UPDATE of mail id, in a write
// transaction; when it matches nothing, a read in the same transaction
// tells a missing mail (ErrNotFound) from a refused one (ErrConflict).
func (s *Store) fencedMail(ctx context.Context, id, q string, args ...any) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return translate(err)
		}
		if err := oneRow(res); !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, "SELECT 1 FROM mail_queue WHERE id = ?", id).Scan(&one); err != nil {
			return translate(err)
		}
		return fmt.Errorf("%w: mail claimed again, sent or given up", storage.ErrConflict)
	})
}

// DeleteDoneMail removes mails sent or given up strictly before `before`.
func (s *Store) DeleteDoneMail(ctx context.Context, before time.Time) (int, error) {
	const q = "DELETE FROM mail_queue WHERE sent_at < ? OR failed_at < ?"
	res, err := s.w.ExecContext(ctx, q, before.UnixMilli(), before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete done mail: %w", translate(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}
