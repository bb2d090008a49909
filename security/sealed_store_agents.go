package security

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.AgentStore methods of SealedStore, written out (no embedding):
// each is a one-line delegation to the backend.

// CreateAgent passes through: it carries no visitor PII.
func (s *SealedStore) CreateAgent(ctx context.Context, a storage.Agent) error {
	return s.inner.CreateAgent(ctx, a)
}

// GetAgent passes through: it carries no visitor PII.
func (s *SealedStore) GetAgent(ctx context.Context, orgID, id string) (storage.Agent, error) {
	return s.inner.GetAgent(ctx, orgID, id)
}

// ListAgentsByEmail passes through: it carries no visitor PII (agent
// emails are the login name and are not sealed).
func (s *SealedStore) ListAgentsByEmail(ctx context.Context, email string) ([]storage.Agent, error) {
	return s.inner.ListAgentsByEmail(ctx, email)
}

// ListAgents passes through: it carries no visitor PII.
func (s *SealedStore) ListAgents(ctx context.Context, orgID string) ([]storage.Agent, error) {
	return s.inner.ListAgents(ctx, orgID)
}

// SetAgentRole passes through: it carries no visitor PII.
func (s *SealedStore) SetAgentRole(ctx context.Context, orgID, id string, role storage.Role) error {
	return s.inner.SetAgentRole(ctx, orgID, id, role)
}

// SetAgentPasswordHash passes through: it carries no visitor PII.
func (s *SealedStore) SetAgentPasswordHash(ctx context.Context, orgID, id, hash string) error {
	return s.inner.SetAgentPasswordHash(ctx, orgID, id, hash)
}

// DeactivateAgent passes through: it carries no visitor PII.
func (s *SealedStore) DeactivateAgent(ctx context.Context, orgID, id string, at time.Time) error {
	return s.inner.DeactivateAgent(ctx, orgID, id, at)
}
