package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// RecordSignInIP reads the address's last-seen time and upserts it in one
// write transaction: SQLite has one writer, so concurrent calls see each
// other's rows and exactly one of them finds a new address new.
func (s *Store) RecordSignInIP(ctx context.Context, v storage.SignInIP, staleAt time.Time) (storage.SignInIPVisit, error) {
	if v.OrgID == "" || v.AgentID == "" || len(v.IPHash) == 0 || v.At.IsZero() {
		return storage.SignInIPVisit{}, errors.New("record sign-in ip: need an organisation, agent, hash and time")
	}
	var visit storage.SignInIPVisit
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		visit, err = recordSignInIP(ctx, tx, v, staleAt)
		return err
	})
	if err != nil {
		return storage.SignInIPVisit{}, fmt.Errorf("record sign-in ip of agent %s: %w", v.AgentID, err)
	}
	return visit, nil
}

func recordSignInIP(ctx context.Context, tx *sql.Tx, v storage.SignInIP, staleAt time.Time) (storage.SignInIPVisit, error) {
	var last time.Time
	const prev = "SELECT last_seen_at FROM signin_ips WHERE org_id = ? AND agent_id = ? AND ip_hash = ?"
	err := translate(tx.QueryRowContext(ctx, prev, v.OrgID, v.AgentID, v.IPHash).Scan(at(&last)))
	var visit storage.SignInIPVisit
	switch {
	case errors.Is(err, storage.ErrNotFound):
		visit.New = true
		var one int
		const others = "SELECT 1 FROM signin_ips WHERE org_id = ? AND agent_id = ? LIMIT 1"
		if err := translate(tx.QueryRowContext(ctx, others, v.OrgID, v.AgentID).Scan(&one)); errors.Is(err, storage.ErrNotFound) {
			visit.First = true
		} else if err != nil {
			return visit, err
		}
	case err != nil:
		return visit, err
	default:
		visit.New = !last.After(staleAt)
	}
	const up = `INSERT INTO signin_ips (org_id, agent_id, ip_hash, first_seen_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_id, agent_id, ip_hash)
		DO UPDATE SET last_seen_at = MAX(last_seen_at, excluded.last_seen_at)`
	_, err = tx.ExecContext(ctx, up, v.OrgID, v.AgentID, v.IPHash, ms(v.At), ms(v.At))
	return visit, translate(err)
}

// forgetSignInIPs deletes an erased agent's sign-in addresses (erasure).
func forgetSignInIPs(ctx context.Context, tx *sql.Tx, e storage.Erasure) error {
	if e.Kind != storage.SubjectAgent {
		return nil
	}
	const q = "DELETE FROM signin_ips WHERE org_id = ? AND agent_id = ?"
	_, err := tx.ExecContext(ctx, q, e.OrgID, e.SubjectID)
	return translate(err)
}
