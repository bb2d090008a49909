package security

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.ErasureStore methods of SealedStore, written out (no embedding):
// each is a one-line delegation to the backend.

// EraseSubject passes through: it carries no visitor PII.
func (s *SealedStore) EraseSubject(ctx context.Context, e storage.Erasure) error {
	return s.inner.EraseSubject(ctx, e)
}
