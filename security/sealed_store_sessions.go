package security

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.SessionStore methods of SealedStore, written out (no embedding):
// each is a one-line delegation to the backend.

// CreateSession passes through: it carries no visitor PII.
func (s *SealedStore) CreateSession(ctx context.Context, st storage.SessionStart) error {
	return s.inner.CreateSession(ctx, st)
}

// GetSession passes through: it carries no visitor PII.
func (s *SealedStore) GetSession(ctx context.Context, id string) (storage.Session, error) {
	return s.inner.GetSession(ctx, id)
}

// GetAccessGrant passes through: it carries no visitor PII.
func (s *SealedStore) GetAccessGrant(ctx context.Context, hash []byte) (storage.AccessGrant, error) {
	return s.inner.GetAccessGrant(ctx, hash)
}

// GetRefreshToken passes through: it carries no visitor PII.
func (s *SealedStore) GetRefreshToken(ctx context.Context, hash []byte) (storage.RefreshToken, error) {
	return s.inner.GetRefreshToken(ctx, hash)
}

// RotateRefresh passes through: it carries no visitor PII.
func (s *SealedStore) RotateRefresh(ctx context.Context, r storage.Rotation) error {
	return s.inner.RotateRefresh(ctx, r)
}

// RevokeSession passes through: it carries no visitor PII.
func (s *SealedStore) RevokeSession(ctx context.Context, id string, at time.Time) error {
	return s.inner.RevokeSession(ctx, id, at)
}

// ListSessions passes through: it carries no visitor PII.
func (s *SealedStore) ListSessions(ctx context.Context, orgID string, kind storage.SubjectKind, subjectID string) ([]storage.Session, error) {
	return s.inner.ListSessions(ctx, orgID, kind, subjectID)
}

// TouchSession passes through: it carries no visitor PII.
func (s *SealedStore) TouchSession(ctx context.Context, id string, at time.Time) error {
	return s.inner.TouchSession(ctx, id, at)
}

// DeleteExpiredTokens passes through: it carries no visitor PII.
func (s *SealedStore) DeleteExpiredTokens(ctx context.Context, before time.Time) (int, error) {
	return s.inner.DeleteExpiredTokens(ctx, before)
}
