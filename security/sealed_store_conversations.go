package security

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.ConversationStore methods of SealedStore, written out (no embedding):
// each is a one-line delegation to the backend.

// CreateConversation passes through: it carries no visitor PII.
func (s *SealedStore) CreateConversation(ctx context.Context, c storage.Conversation) error {
	return s.inner.CreateConversation(ctx, c)
}

// GetConversation passes through: it carries no visitor PII.
func (s *SealedStore) GetConversation(ctx context.Context, orgID, id string) (storage.Conversation, error) {
	return s.inner.GetConversation(ctx, orgID, id)
}

// ListConversations passes through: it carries no visitor PII.
func (s *SealedStore) ListConversations(ctx context.Context, orgID string, f storage.ConversationFilter) ([]storage.Conversation, error) {
	return s.inner.ListConversations(ctx, orgID, f)
}

// SetAssignee passes through: it carries no visitor PII.
func (s *SealedStore) SetAssignee(ctx context.Context, orgID, id, from, to string, at time.Time) error {
	return s.inner.SetAssignee(ctx, orgID, id, from, to, at)
}

// CloseConversation passes through: it carries no visitor PII.
func (s *SealedStore) CloseConversation(ctx context.Context, orgID, id string, at time.Time) error {
	return s.inner.CloseConversation(ctx, orgID, id, at)
}

// ReopenConversation passes through: it carries no visitor PII.
func (s *SealedStore) ReopenConversation(ctx context.Context, orgID, id, assigneeID string, at time.Time) error {
	return s.inner.ReopenConversation(ctx, orgID, id, assigneeID, at)
}

// MarkRead passes through: it carries no visitor PII.
func (s *SealedStore) MarkRead(ctx context.Context, orgID, id string, side storage.SenderKind, seq int64) (int64, error) {
	return s.inner.MarkRead(ctx, orgID, id, side, seq)
}

// MarkAgentRead passes through: it carries no visitor PII.
func (s *SealedStore) MarkAgentRead(ctx context.Context, orgID, conversationID, agentID string, seq int64) (int64, error) {
	return s.inner.MarkAgentRead(ctx, orgID, conversationID, agentID, seq)
}

// AgentReadSeqs passes through: it carries no visitor PII.
func (s *SealedStore) AgentReadSeqs(ctx context.Context, orgID, agentID string, conversationIDs []string) (map[string]int64, error) {
	return s.inner.AgentReadSeqs(ctx, orgID, agentID, conversationIDs)
}
