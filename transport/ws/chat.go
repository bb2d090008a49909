package ws

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/wire"
)

// sendMessage stores a message through the hub and acks it. The ack is sent
// only after the hub returned, i.e. after the message is durably stored.
func (c *conn) sendMessage(ctx context.Context, ref string, m *wire.MessageSend) {
	start := time.Now() // the frame was decoded just before dispatch
	msg, dup, err := c.s.cfg.Hub.Send(ctx, c.actor, m.ConversationID, m.ClientID, m.Text)
	if err != nil {
		c.reply(ref, err)
		return
	}
	if !dup {
		c.s.cfg.Metrics.MessagesStored.Inc()
	}
	c.send(wire.EncodeAck(ref, &wire.Ack{
		ConversationID: msg.ConversationID,
		ClientID:       msg.ClientID,
		MessageID:      msg.ID,
		Seq:            msg.Seq,
		CreatedAt:      formatTime(msg.CreatedAt),
		Duplicate:      dup,
	}))
	c.s.cfg.Metrics.AckSeconds.Since(start)
}

// join subscribes the connection to a conversation: the hub replays every
// message after afterSeq, then streams live ones; "joined" marks the end of
// the replay.
func (c *conn) join(ctx context.Context, ref, conversationID string, afterSeq int64) {
	if old := c.memberships[conversationID]; old != nil {
		old.Leave()
		delete(c.memberships, conversationID)
	}
	m, err := c.s.cfg.Hub.Join(ctx, c.actor, conversationID, afterSeq, c)
	if err != nil {
		c.reply(ref, err)
		return
	}
	if c.memberships == nil {
		c.memberships = make(map[string]*hub.Membership)
	}
	c.memberships[conversationID] = m
	c.sendFrame(wire.TypeJoined, ref, wire.Joined{ConversationID: conversationID, LastSeq: m.LastSeq()})
}

// leave stops live delivery of a conversation to this connection.
func (c *conn) leave(conversationID string) {
	if m := c.memberships[conversationID]; m != nil {
		m.Leave()
		delete(c.memberships, conversationID)
	}
}

// startConversation opens a new conversation for a visitor and joins it,
// within the visitor's conversation limit.
func (c *conn) startConversation(ctx context.Context, ref string) {
	if !isVisitor(c.principal) {
		c.reply(ref, hub.ErrForbidden)
		return
	}
	if ok, retry := c.allowConversation(ctx); !ok {
		c.conversationLimited(ref, retry)
		return
	}
	conv, err := c.s.cfg.Hub.StartConversation(ctx, c.actor, c.widgetID)
	if err != nil {
		c.reply(ref, err)
		return
	}
	c.sendFrame(wire.TypeConversation, ref, conversationFrame(&conv))
	c.join(ctx, "", conv.ID, 0)
}

// conversationResult answers ref with the conversation's new state, or the
// error that prevented the change.
func (c *conn) conversationResult(ref string) func(storage.Conversation, error) {
	return func(conv storage.Conversation, err error) {
		if err != nil {
			c.reply(ref, err)
			return
		}
		c.sendFrame(wire.TypeConversation, ref, conversationFrame(&conv))
	}
}

// setPresence sets an agent's availability.
func (c *conn) setPresence(status string) error {
	if isVisitor(c.principal) {
		return hub.ErrForbidden
	}
	return c.s.cfg.Hub.SetAgentStatus(c.actor, hub.PresenceStatus(status))
}
