package security

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.MessageStore methods of SealedStore, written out (no embedding):
// each is a one-line delegation to the backend.

// AppendMessage passes through: it carries no visitor PII.
func (s *SealedStore) AppendMessage(ctx context.Context, m storage.Message) (storage.Message, bool, error) {
	return s.inner.AppendMessage(ctx, m)
}

// AppendMessageChecked passes through: messages and conversations carry no
// visitor PII.
func (s *SealedStore) AppendMessageChecked(ctx context.Context, m storage.Message) (storage.Appended, error) {
	return s.inner.AppendMessageChecked(ctx, m)
}

// ListMessages passes through: it carries no visitor PII.
func (s *SealedStore) ListMessages(ctx context.Context, orgID, conversationID string, afterSeq int64, limit int) ([]storage.Message, error) {
	return s.inner.ListMessages(ctx, orgID, conversationID, afterSeq, limit)
}

// SearchMessages passes through: it carries no visitor PII.
func (s *SealedStore) SearchMessages(ctx context.Context, orgID, query string, limit int) ([]storage.Message, error) {
	return s.inner.SearchMessages(ctx, orgID, query, limit)
}
