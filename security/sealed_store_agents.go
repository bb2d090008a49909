package security

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
)

// ListAgentsByEmail passes through unchanged: agent emails are the login
// name and are not sealed.
func (s *SealedStore) ListAgentsByEmail(ctx context.Context, email string) ([]storage.Agent, error) {
	return s.Store.ListAgentsByEmail(ctx, email)
}
