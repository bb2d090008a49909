package sqlite

import (
	"context"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// Audit list limits (ListAudit).
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

const auditCols = `id, org_id, actor_kind, actor_id, action, target_id, ip, user_agent,
	detail, created_at`

// AppendAudit stores e. An empty ID is generated.
func (s *Store) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	if e.ID == "" {
		e.ID = storage.NewID("aud")
	}
	const q = "INSERT INTO audit_events (" + auditCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	_, err := s.w.ExecContext(ctx, q, e.ID, e.OrgID, string(e.ActorKind), e.ActorID, e.Action,
		e.TargetID, e.IP, e.UserAgent, e.Detail, ms(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, translate(err))
	}
	return nil
}

func scanAudit(sc scanner) (storage.AuditEvent, error) {
	var e storage.AuditEvent
	err := sc.Scan(&e.ID, &e.OrgID, &e.ActorKind, &e.ActorID, &e.Action, &e.TargetID,
		&e.IP, &e.UserAgent, &e.Detail, at(&e.CreatedAt))
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
