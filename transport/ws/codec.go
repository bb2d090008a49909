package ws

import (
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/wire"
)

// Codec encodes hub events as wire frames. The hub calls it once per event
// and fans the bytes out to every member.
type Codec struct{}

var _ hub.Codec = Codec{}

// Encode implements hub.Codec.
func (Codec) Encode(e hub.Event) ([]byte, error) {
	switch {
	case e.Type == hub.EventMessage && e.Message != nil:
		return wire.EncodeMessage(messageFrame(e.Message)), nil
	case e.Type == hub.EventConversation && e.Conversation != nil:
		return wire.Encode(wire.TypeConversation, "", conversationFrame(e.Conversation))
	case e.Type == hub.EventTyping && e.Typing != nil:
		return wire.Encode(wire.TypeTyping, "", wire.Typing{
			ConversationID: e.ConversationID,
			Active:         e.Typing.Active,
			SenderKind:     string(e.Typing.SenderKind),
			SenderID:       e.Typing.SenderID,
		})
	case e.Type == hub.EventReceipt && e.Receipt != nil:
		return wire.Encode(wire.TypeReceipt, "", wire.Receipt{
			ConversationID: e.ConversationID,
			Side:           string(e.Receipt.Side),
			Seq:            e.Receipt.Seq,
			AgentID:        e.Receipt.AgentID,
		})
	case e.Type == hub.EventPresence && e.Presence != nil:
		return wire.Encode(wire.TypePresence, "", wire.Presence{
			SubjectKind: string(e.Presence.SubjectKind),
			SubjectID:   e.Presence.SubjectID,
			Status:      string(e.Presence.Status),
		})
	default:
		return nil, fmt.Errorf("encode hub event: unsupported %q event", e.Type)
	}
}

func messageFrame(m *storage.Message) *wire.Message {
	return &wire.Message{
		ConversationID: m.ConversationID,
		Seq:            m.Seq,
		ID:             m.ID,
		ClientID:       m.ClientID,
		SenderKind:     string(m.SenderKind),
		SenderID:       m.SenderID,
		Text:           m.Text,
		CreatedAt:      formatTime(m.CreatedAt),
	}
}

func conversationFrame(c *storage.Conversation) wire.Conversation {
	return wire.Conversation{
		ID:             c.ID,
		Status:         string(c.Status),
		VisitorID:      c.VisitorID,
		AssigneeID:     c.AssigneeID,
		LastSeq:        c.LastSeq,
		VisitorReadSeq: c.VisitorReadSeq,
		AgentReadSeq:   c.AgentReadSeq,
		Preview:        c.Preview,
		LastSenderKind: string(c.LastSenderKind),
		CreatedAt:      formatTime(c.CreatedAt),
		UpdatedAt:      formatTime(c.UpdatedAt),
	}
}

// formatTime renders a time as RFC 3339 with milliseconds, in UTC.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
