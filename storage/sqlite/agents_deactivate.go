package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// DeactivateAgent sets deactivated_at with one conditional UPDATE (only
// while it is NULL and the agent is not erased). When it matches nothing, a
// read tells a deactivated agent (ErrConflict) from a missing or erased one
// (ErrNotFound).
func (s *Store) DeactivateAgent(ctx context.Context, orgID, id string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("deactivate agent %s: zero time", id)
	}
	const q = `UPDATE agents SET deactivated_at = ?
		WHERE id = ? AND org_id = ? AND deleted_at IS NULL AND deactivated_at IS NULL`
	err := s.execOne(ctx, q, ms(at), id, orgID)
	if errors.Is(err, storage.ErrNotFound) {
		err = s.whyNotDeactivated(ctx, orgID, id)
	}
	if err != nil {
		return fmt.Errorf("deactivate agent %s: %w", id, err)
	}
	return nil
}

// whyNotDeactivated explains an UPDATE that matched no row.
func (s *Store) whyNotDeactivated(ctx context.Context, orgID, id string) error {
	var deleted, deactivated sql.NullInt64
	const q = "SELECT deleted_at, deactivated_at FROM agents WHERE id = ? AND org_id = ?"
	if err := s.r.QueryRowContext(ctx, q, id, orgID).Scan(&deleted, &deactivated); err != nil {
		return translate(err)
	}
	if deleted.Valid {
		return storage.ErrNotFound
	}
	if deactivated.Valid {
		return fmt.Errorf("%w: already deactivated", storage.ErrConflict)
	}
	return errors.New("agent changed during deactivation; retry")
}
