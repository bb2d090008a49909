package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/helpr-chat/helpr/storage"
)

// Message limits, in characters (Unicode code points).
const (
	MaxTextLength     = 4000
	MaxClientIDLength = 64
)

// Send stores a message from the actor in a conversation and publishes it
// to the room. The message is durable when Send returns nil: the caller may
// ack it. clientID is the sender's idempotency key: a repeated one returns
// the stored message with duplicate == true and publishes nothing (a
// client id already used by the other participant is storage.ErrConflict).
//
// Messages of one conversation are published in sequence order. Text must
// be valid UTF-8, not blank, at most MaxTextLength characters; clientID
// non-empty and at most MaxClientIDLength characters (else ErrInvalid). A
// conversation the actor may not act on (another visitor's, another
// organisation's, none) is storage.ErrNotFound, a closed one ErrClosed.
// Send reads nothing before the write: the store's AppendMessageChecked
// makes the participant and status checks part of the append, so one
// round trip decides and stores. The room lock below is this node's only:
// what makes a close on another node exclude the send is the store, whose
// append refuses a conversation closed at the moment of the write
// (storage.ErrConversationClosed, returned as ErrClosed). A repeat of a
// message stored before the close is answered as a duplicate, not
// ErrClosed, so a sender whose ack was lost learns that it was stored.
func (h *Hub) Send(ctx context.Context, a Actor, conversationID, clientID, text string) (msg storage.Message, duplicate bool, err error) {
	if !a.valid() {
		return storage.Message{}, false, ErrForbidden
	}
	if err := validateMessage(clientID, text); err != nil {
		return storage.Message{}, false, err
	}
	r := h.acquire(a.OrgID, conversationID)
	defer h.release(r)
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	return h.append(ctx, a, conversationID, clientID, text)
}

// append stores the message in the conversation if the actor may send to
// it and, when new, publishes it to the room and the conversation's new
// state (last_seq, preview) to the organisation's inbox. The room's sendMu
// is held.
func (h *Hub) append(ctx context.Context, a Actor, conversationID, clientID, text string) (storage.Message, bool, error) {
	res, err := h.store.AppendMessageChecked(ctx, storage.Message{
		ID:             storage.NewID("msg"),
		OrgID:          a.OrgID,
		ConversationID: conversationID,
		ClientID:       clientID,
		SenderKind:     a.senderKind(),
		SenderID:       a.ID,
		Text:           text,
		CreatedAt:      h.clock(),
	})
	switch {
	case errors.Is(err, storage.ErrConversationClosed): // maybe closed on another node
		return storage.Message{}, false, fmt.Errorf("send to %s: %w: %w", conversationID, ErrClosed, err)
	case errors.Is(err, storage.ErrNotFound): // none, or not the actor's: existence is not revealed
		return storage.Message{}, false, fmt.Errorf("send to %s: %w", conversationID, err)
	case err != nil:
		return storage.Message{}, false, fmt.Errorf("append message to %s: %w", conversationID, err)
	}
	stored := res.Message
	if !res.Created {
		if stored.SenderKind != a.senderKind() || stored.SenderID != a.ID {
			return storage.Message{}, false, fmt.Errorf("client id of another sender in %s: %w", conversationID, storage.ErrConflict)
		}
		return stored, true, nil
	}
	ev := Event{Type: EventMessage, OrgID: a.OrgID, ConversationID: conversationID, Message: &stored}
	h.report(h.publish(ctx, ev, stored.Seq, roomChannel(a.OrgID, conversationID)))
	h.announceActivity(ctx, res.Conversation)
	h.notify(ctx, NoticeMessageCreated, res.Conversation, &stored)
	return stored, false, nil
}

// validateMessage checks a message's client id and text.
func validateMessage(clientID, text string) error {
	switch {
	case clientID == "" || !utf8.ValidString(clientID) || utf8.RuneCountInString(clientID) > MaxClientIDLength:
		return fmt.Errorf("%w: client id must be 1 to %d characters", ErrInvalid, MaxClientIDLength)
	case !utf8.ValidString(text) || strings.TrimSpace(text) == "":
		return fmt.Errorf("%w: text must be non-blank UTF-8", ErrInvalid)
	case utf8.RuneCountInString(text) > MaxTextLength:
		return fmt.Errorf("%w: text longer than %d characters", ErrInvalid, MaxTextLength)
	}
	return nil
}

// Typing publishes the actor's typing state to the conversation's room.
// It is ephemeral: nothing is stored. Every member receives it, the
// sender's own connections included (clients filter by sender). A closed
// conversation is ErrClosed.
func (h *Hub) Typing(ctx context.Context, a Actor, conversationID string, active bool) error {
	c, err := h.authorize(ctx, a, conversationID)
	if err != nil {
		return err
	}
	if c.Status == storage.ConversationClosed {
		return fmt.Errorf("typing in %s: %w", conversationID, ErrClosed)
	}
	ev := Event{
		Type: EventTyping, OrgID: a.OrgID, ConversationID: conversationID,
		Typing: &Typing{SenderKind: a.senderKind(), SenderID: a.ID, Active: active},
	}
	return h.publish(ctx, ev, 0, roomChannel(a.OrgID, conversationID))
}

// MarkRead raises the actor's read sequence to seq, capped at the
// conversation's last message, and returns the resulting value; it never
// lowers it. A visitor raises the visitor side. An agent raises its own
// read mark (read state is per agent: one agent reading does not mark the
// conversation read for the others) and with it the agent side, which is
// what the visitor sees as read. It publishes an EventReceipt to the room
// and, for an agent, to the organisation's inbox too (so the agent's other
// consoles see it); an agent's receipt names the agent and carries its own
// mark. Negative seq is ErrInvalid.
func (h *Hub) MarkRead(ctx context.Context, a Actor, conversationID string, seq int64) (int64, error) {
	if seq < 0 {
		return 0, fmt.Errorf("%w: negative read sequence", ErrInvalid)
	}
	r := h.acquire(a.OrgID, conversationID)
	defer h.release(r)
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	if _, err := h.authorize(ctx, a, conversationID); err != nil {
		return 0, err
	}
	read, err := h.markRead(ctx, a, conversationID, seq)
	if err != nil {
		return 0, fmt.Errorf("mark read in %s: %w", conversationID, err)
	}
	receipt := &Receipt{Side: a.senderKind(), Seq: read}
	channels := []string{roomChannel(a.OrgID, conversationID)}
	if a.Kind == storage.SubjectAgent {
		receipt.AgentID = a.ID
		channels = append(channels, inboxChannel(a.OrgID))
	}
	ev := Event{Type: EventReceipt, OrgID: a.OrgID, ConversationID: conversationID, Receipt: receipt}
	h.report(h.publish(ctx, ev, 0, channels...))
	return read, nil
}

// markRead stores the read mark: the agent's own (and the agent side), or
// the visitor side.
func (h *Hub) markRead(ctx context.Context, a Actor, conversationID string, seq int64) (int64, error) {
	if a.Kind == storage.SubjectAgent {
		return h.store.MarkAgentRead(ctx, a.OrgID, conversationID, a.ID, seq)
	}
	return h.store.MarkRead(ctx, a.OrgID, conversationID, storage.SenderVisitor, seq)
}
