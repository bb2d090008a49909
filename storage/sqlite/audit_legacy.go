package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// legacyAuditBatch is how many unchained events chainLegacyAudit links
// per query.
const legacyAuditBatch = 500

// chainLegacyAudit links the events written before the hash chain existed
// (seq 0) into their organisations' chains, oldest first (created_at, then
// insertion order), after whatever each chain already holds. It runs in
// migration 0012's transaction, so a database is never half chained.
func chainLegacyAudit(ctx context.Context, tx *sql.Tx) error {
	const q = "SELECT " + auditCols + ` FROM audit_events WHERE seq = 0
		ORDER BY org_id, created_at, rid LIMIT ?`
	heads := map[string]storage.AuditHead{}
	for {
		batch, err := queryTxList(ctx, tx, q, legacyAuditBatch)
		if err != nil {
			return fmt.Errorf("read unchained audit events: %w", err)
		}
		for _, e := range batch {
			if err := chainLegacyEvent(ctx, tx, heads, e); err != nil {
				return err
			}
		}
		if len(batch) < legacyAuditBatch {
			return nil
		}
	}
}

// chainLegacyEvent makes e the next link of its organisation's chain.
func chainLegacyEvent(ctx context.Context, tx *sql.Tx, heads map[string]storage.AuditHead, e storage.AuditEvent) error {
	head, ok := heads[e.OrgID]
	if !ok {
		var err error
		if head, err = auditHead(ctx, tx, e.OrgID); err != nil {
			return fmt.Errorf("read audit head of %s: %w", e.OrgID, err)
		}
	}
	l := storage.ChainAudit(e, head)
	c := l.Commits
	const u = `UPDATE audit_events SET seq = ?, prev_hash = ?, hash = ?, actor_digest = ?, actor_salt = ?,
		target_digest = ?, target_salt = ?, client_digest = ?, client_salt = ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, u, l.Seq, l.PrevHash, l.Hash, c.Actor.Digest, c.Actor.Salt,
		c.Target.Digest, c.Target.Salt, c.Client.Digest, c.Client.Salt, l.ID); err != nil {
		return fmt.Errorf("chain audit event %s: %w", l.ID, translate(err))
	}
	heads[e.OrgID] = storage.AuditHead{Seq: l.Seq, Hash: l.Hash}
	return nil
}

// queryTxList reads audit events within tx.
func queryTxList(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]storage.AuditEvent, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var list []storage.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, e)
	}
	return list, translate(rows.Err())
}
