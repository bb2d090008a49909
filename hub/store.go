package hub

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// Store is the part of storage.Store the hub uses. The methods have the
// contracts documented on storage.Store: safe for concurrent use, scoped by
// organisation, durable when they return nil, storage.ErrNotFound for a
// record absent from the organisation and storage.ErrConflict for a lost
// compare-and-swap.
type Store interface {
	GetAgent(ctx context.Context, orgID, id string) (storage.Agent, error)
	GetWidget(ctx context.Context, orgID, id string) (storage.Widget, error)
	CreateConversation(ctx context.Context, c storage.Conversation) error
	GetConversation(ctx context.Context, orgID, id string) (storage.Conversation, error)
	SetAssignee(ctx context.Context, orgID, id, from, to string, at time.Time) error
	CloseConversation(ctx context.Context, orgID, id string, at time.Time) error
	MarkRead(ctx context.Context, orgID, id string, side storage.SenderKind, seq int64) (int64, error)
	MarkAgentRead(ctx context.Context, orgID, conversationID, agentID string, seq int64) (int64, error)
	ReopenConversation(ctx context.Context, orgID, id, assigneeID string, at time.Time) error
	AppendMessageChecked(ctx context.Context, m storage.Message) (storage.Appended, error)
	ListMessages(ctx context.Context, orgID, conversationID string, afterSeq int64, limit int) ([]storage.Message, error)
}

var _ Store = storage.Store(nil)
