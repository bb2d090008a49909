package security

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.OrgStore methods of SealedStore, written out (no embedding):
// each is a one-line delegation to the backend.

// CreateOrgWithOwner passes through: it carries no visitor PII.
func (s *SealedStore) CreateOrgWithOwner(ctx context.Context, org storage.Organization, owner storage.Agent) error {
	return s.inner.CreateOrgWithOwner(ctx, org, owner)
}

// GetOrg passes through: it carries no visitor PII.
func (s *SealedStore) GetOrg(ctx context.Context, id string) (storage.Organization, error) {
	return s.inner.GetOrg(ctx, id)
}
