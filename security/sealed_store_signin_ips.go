package security

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// RecordSignInIP passes through: the address arrives as a keyed hash (the
// caller's KeyedHash), never in the clear.
func (s *SealedStore) RecordSignInIP(ctx context.Context, v storage.SignInIP, staleAt time.Time) (storage.SignInIPVisit, error) {
	return s.inner.RecordSignInIP(ctx, v, staleAt)
}
