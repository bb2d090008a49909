package hub

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
)

// Notice kinds: the durable chat changes a Hub reports through
// Options.Notify. They are also the webhook event names.
const (
	NoticeConversationCreated  = "conversation.created"
	NoticeConversationAssigned = "conversation.assigned"
	NoticeConversationClosed   = "conversation.closed"
	NoticeMessageCreated       = "message.created"
)

// Notice is one durable chat change, reported after the store accepted it.
type Notice struct {
	// Kind is one of the Notice* constants.
	Kind string
	// Conversation is the conversation's state after the change (for
	// message.created: as read before the message was appended).
	Conversation storage.Conversation
	// Message is the new message of a message.created notice, nil
	// otherwise.
	Message *storage.Message
}

// notify hands a notice to Options.Notify, if any. It runs on the chat
// path, under the conversation's room lock (so the notices of one
// conversation are reported in the order of its changes): Notify must be
// cheap and must never block, e.g. a non-blocking send to a buffered
// channel drained elsewhere.
func (h *Hub) notify(ctx context.Context, kind string, c storage.Conversation, m *storage.Message) {
	if h.onNotice == nil || kind == "" {
		return
	}
	h.onNotice(ctx, Notice{Kind: kind, Conversation: c, Message: m})
}
