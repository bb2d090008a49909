package security

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.PasskeyStore methods of SealedStore pass through: a passkey
// holds nothing secret (the public key only verifies; the private key
// never leaves the authenticator) and no PII of the kind SealedStore
// seals. Its name is a label the agent chose for a device ("Work laptop"),
// stored in clear like the agent's own name and email, so the Security
// page and the audit trail can show it without the keyring.

// CreatePasskey passes through.
func (s *SealedStore) CreatePasskey(ctx context.Context, p storage.Passkey) error {
	return s.inner.CreatePasskey(ctx, p)
}

// GetPasskeyByCredential passes through.
func (s *SealedStore) GetPasskeyByCredential(ctx context.Context, credentialID []byte) (storage.Passkey, error) {
	return s.inner.GetPasskeyByCredential(ctx, credentialID)
}

// ListPasskeys passes through.
func (s *SealedStore) ListPasskeys(ctx context.Context, orgID, agentID string) ([]storage.Passkey, error) {
	return s.inner.ListPasskeys(ctx, orgID, agentID)
}

// RenamePasskey passes through.
func (s *SealedStore) RenamePasskey(ctx context.Context, orgID, agentID, id, name string) (storage.Passkey, error) {
	return s.inner.RenamePasskey(ctx, orgID, agentID, id, name)
}

// DeletePasskey passes through.
func (s *SealedStore) DeletePasskey(ctx context.Context, orgID, agentID, id string) error {
	return s.inner.DeletePasskey(ctx, orgID, agentID, id)
}

// DeleteAgentPasskeys passes through.
func (s *SealedStore) DeleteAgentPasskeys(ctx context.Context, orgID, agentID string) (int, error) {
	return s.inner.DeleteAgentPasskeys(ctx, orgID, agentID)
}

// RecordPasskeyUse passes through.
func (s *SealedStore) RecordPasskeyUse(ctx context.Context, u storage.PasskeyUse) error {
	return s.inner.RecordPasskeyUse(ctx, u)
}
