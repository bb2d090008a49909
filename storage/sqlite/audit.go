package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/helpr-chat/helpr/storage"
)

// Audit list limits (ListAudit, AuditChain).
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

const auditCols = `id, org_id, actor_kind, actor_id, action, target_id, ip, user_agent,
	detail, created_at, outcome, seq, prev_hash, hash, actor_digest, actor_salt,
	target_digest, target_salt, client_digest, client_salt`

// AppendAudit stores e as the next link of its organisation's chain: the
// head is read and the link inserted in one write transaction, and the
// store has one writing connection, so appends never fork the chain. An
// empty ID is generated.
func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	if e.ID == "" {
		e.ID = storage.NewID("aud")
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		head, err := auditHead(ctx, tx, e.OrgID)
		if err != nil {
			return err
		}
		return insertAudit(ctx, tx, storage.ChainAudit(e, head))
	})
	if err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, err)
	}
	return nil
}

// auditHead reads the newest link of the organisation's chain.
func auditHead(ctx context.Context, tx *sql.Tx, orgID string) (storage.AuditHead, error) {
	const q = `SELECT seq, hash FROM audit_events WHERE org_id = ? AND seq > 0
		ORDER BY seq DESC LIMIT 1`
	var h storage.AuditHead
	err := tx.QueryRowContext(ctx, q, orgID).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.AuditHead{}, nil
	}
	return h, translate(err)
}

func insertAudit(ctx context.Context, tx *sql.Tx, e storage.AuditEvent) error {
	const q = "INSERT INTO audit_events (" + auditCols + `) VALUES
		(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	c := e.Commits
	_, err := tx.ExecContext(ctx, q, e.ID, e.OrgID, string(e.ActorKind), e.ActorID, e.Action,
		e.TargetID, e.IP, e.UserAgent, e.Detail, ms(e.CreatedAt), e.Outcome, e.Seq, e.PrevHash, e.Hash,
		c.Actor.Digest, c.Actor.Salt, c.Target.Digest, c.Target.Salt, c.Client.Digest, c.Client.Salt)
	return translate(err)
}

func scanAudit(sc scanner) (storage.AuditEvent, error) {
	var e storage.AuditEvent
	c := &e.Commits
	err := sc.Scan(&e.ID, &e.OrgID, &e.ActorKind, &e.ActorID, &e.Action, &e.TargetID,
		&e.IP, &e.UserAgent, &e.Detail, at(&e.CreatedAt), &e.Outcome, &e.Seq, &e.PrevHash, &e.Hash,
		&c.Actor.Digest, &c.Actor.Salt, &c.Target.Digest, &c.Target.Salt, &c.Client.Digest, &c.Client.Salt)
	return e, translate(err)
}

// ListAudit returns the organisation's most recent events, newest first
// (events of the same millisecond in reverse insertion order). limit <= 0
// means 100; it is capped at 1000.
func (s *Store) ListAudit(ctx context.Context, orgID string, limit int) ([]storage.AuditEvent, error) {
	const q = "SELECT " + auditCols + ` FROM audit_events WHERE org_id = ?
		ORDER BY created_at DESC, rid DESC LIMIT ?`
	n := clamp(limit, defaultAuditLimit, maxAuditLimit)
	list, err := queryList(ctx, s.r, scanAudit, q, orgID, n)
	if err != nil {
		return nil, fmt.Errorf("list audit of %s: %w", orgID, err)
	}
	return list, nil
}

// ListAuditForSubject returns the organisation's most recent events whose
// actor or target is subjectID, newest first. limit <= 0 means 100; it is
// capped at 1000.
func (s *Store) ListAuditForSubject(ctx context.Context, orgID, subjectID string, limit int) ([]storage.AuditEvent, error) {
	const q = "SELECT " + auditCols + ` FROM audit_events
		WHERE org_id = ? AND (actor_id = ? OR target_id = ?)
		ORDER BY created_at DESC, rid DESC LIMIT ?`
	if subjectID == "" {
		return nil, fmt.Errorf("list audit for subject: empty subject id")
	}
	n := clamp(limit, defaultAuditLimit, maxAuditLimit)
	list, err := queryList(ctx, s.r, scanAudit, q, orgID, subjectID, subjectID, n)
	if err != nil {
		return nil, fmt.Errorf("list audit of %s for %s: %w", orgID, subjectID, err)
	}
	return list, nil
}

// QueryAudit returns the organisation's chained events matching q, newest
// first. q.Limit <= 0 means 100; it is capped at MaxAuditQueryLimit.
func (s *Store) QueryAudit(ctx context.Context, orgID string, q storage.AuditQuery) ([]storage.AuditEvent, error) {
	where := []string{"org_id = ?", "seq > 0"}
	args := []any{orgID}
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if q.Action != "" {
		add("action = ?", q.Action)
	}
	if q.ActorID != "" {
		add("actor_id = ?", q.ActorID)
	}
	if !q.Since.IsZero() {
		add("created_at >= ?", ms(q.Since))
	}
	if q.BeforeSeq > 0 {
		add("seq < ?", q.BeforeSeq)
	}
	query := "SELECT " + auditCols + " FROM audit_events WHERE " + strings.Join(where, " AND ") +
		" ORDER BY seq DESC LIMIT ?"
	args = append(args, clamp(q.Limit, defaultAuditLimit, storage.MaxAuditQueryLimit))
	list, err := queryList(ctx, s.r, scanAudit, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query audit of %s: %w", orgID, err)
	}
	return list, nil
}

// AuditOrgs returns the organisations that have audit events, ascending.
func (s *Store) AuditOrgs(ctx context.Context) ([]string, error) {
	const q = "SELECT DISTINCT org_id FROM audit_events ORDER BY org_id"
	list, err := queryList(ctx, s.r, func(sc scanner) (string, error) {
		var id string
		return id, sc.Scan(&id)
	}, q)
	if err != nil {
		return nil, fmt.Errorf("list audit organisations: %w", err)
	}
	return list, nil
}

// AuditChain returns up to limit events of the organisation after
// afterSeq in chain order (afterSeq < 0: unchained events first).
func (s *Store) AuditChain(ctx context.Context, orgID string, afterSeq int64, limit int) ([]storage.AuditEvent, error) {
	q := "SELECT " + auditCols + " FROM audit_events WHERE org_id = ? AND seq > ? AND seq > 0 ORDER BY seq LIMIT ?"
	if afterSeq < 0 {
		q = "SELECT " + auditCols + " FROM audit_events WHERE org_id = ? AND seq > ? ORDER BY seq, rid LIMIT ?"
	}
	list, err := queryList(ctx, s.r, scanAudit, q, orgID, afterSeq, clamp(limit, defaultAuditLimit, maxAuditLimit))
	if err != nil {
		return nil, fmt.Errorf("read audit chain of %s: %w", orgID, err)
	}
	return list, nil
}
