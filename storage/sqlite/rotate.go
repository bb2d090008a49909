package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// RotateRefresh exchanges r.OldHash for r.Next and r.Access in one
// transaction: the old token is marked rotated at r.At, with
// r.SealedSuccessor and r.SuccessorUntil, only if it has not been rotated
// before and its session is not revoked (a compare-and-swap), then both
// new tokens are inserted and the session's generation becomes
// r.Next.Generation. ErrConflict if the old token was already rotated or
// its session revoked; ErrNotFound if it does not exist. Token SessionIDs
// may be empty (they take the old token's session) but must not name
// another session.
func (s *Store) RotateRefresh(ctx context.Context, r storage.Rotation) error {
	if r.At.IsZero() {
		return fmt.Errorf("rotate refresh: zero time")
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		sessionID, err := markRotated(ctx, tx, r)
		if err != nil {
			return err
		}
		return insertSuccessors(ctx, tx, sessionID, r)
	})
	if err != nil {
		return fmt.Errorf("rotate refresh: %w", err)
	}
	return nil
}

// markRotated is the compare-and-swap; it returns the token's session.
func markRotated(ctx context.Context, tx *sql.Tx, r storage.Rotation) (string, error) {
	const q = `UPDATE refresh_tokens SET rotated_at = ?, successor = ?, successor_until = ?
		WHERE hash = ? AND rotated_at IS NULL AND EXISTS (
			SELECT 1 FROM sessions s WHERE s.id = refresh_tokens.session_id AND s.revoked_at IS NULL)
		RETURNING session_id`
	var sessionID string
	err := tx.QueryRowContext(ctx, q, ms(r.At), nullIfEmpty(r.SealedSuccessor), ms(r.SuccessorUntil),
		r.OldHash).Scan(&sessionID)
	if err == nil {
		return sessionID, nil
	}
	if err := translate(err); !errors.Is(err, storage.ErrNotFound) {
		return "", err
	}
	var one int
	const exists = "SELECT 1 FROM refresh_tokens WHERE hash = ?"
	if err := tx.QueryRowContext(ctx, exists, r.OldHash).Scan(&one); err != nil {
		return "", translate(err)
	}
	return "", fmt.Errorf("%w: token already rotated or session revoked", storage.ErrConflict)
}

func insertSuccessors(ctx context.Context, tx *sql.Tx, sessionID string, r storage.Rotation) error {
	for _, other := range []string{r.Next.SessionID, r.Access.SessionID} {
		if other != "" && other != sessionID {
			return fmt.Errorf("new token belongs to session %q, not %q", other, sessionID)
		}
	}
	if err := insertRefresh(ctx, tx, sessionID, r.Next); err != nil {
		return err
	}
	if err := insertAccess(ctx, tx, sessionID, r.Access); err != nil {
		return err
	}
	const q = "UPDATE sessions SET generation = ? WHERE id = ?"
	_, err := tx.ExecContext(ctx, q, r.Next.Generation, sessionID)
	return translate(err)
}
