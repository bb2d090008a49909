package security

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.AuditStore methods of SealedStore, written out (no embedding):
// each is a one-line delegation to the backend.

// AppendAudit passes through: it carries no visitor PII.
func (s *SealedStore) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	return s.inner.AppendAudit(ctx, e)
}

// ListAudit passes through: it carries no visitor PII.
func (s *SealedStore) ListAudit(ctx context.Context, orgID string, limit int) ([]storage.AuditEvent, error) {
	return s.inner.ListAudit(ctx, orgID, limit)
}

// ListAuditForSubject passes through: it carries no visitor PII.
func (s *SealedStore) ListAuditForSubject(ctx context.Context, orgID, subjectID string, limit int) ([]storage.AuditEvent, error) {
	return s.inner.ListAuditForSubject(ctx, orgID, subjectID, limit)
}

// QueryAudit passes through: it carries no visitor PII.
func (s *SealedStore) QueryAudit(ctx context.Context, orgID string, q storage.AuditQuery) ([]storage.AuditEvent, error) {
	return s.inner.QueryAudit(ctx, orgID, q)
}

// AuditOrgs passes through: it carries no visitor PII.
func (s *SealedStore) AuditOrgs(ctx context.Context) ([]string, error) {
	return s.inner.AuditOrgs(ctx)
}

// AuditChain passes through: it carries no visitor PII.
func (s *SealedStore) AuditChain(ctx context.Context, orgID string, afterSeq int64, limit int) ([]storage.AuditEvent, error) {
	return s.inner.AuditChain(ctx, orgID, afterSeq, limit)
}
