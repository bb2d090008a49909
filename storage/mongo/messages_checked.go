package mongo

import (
	"context"
	"errors"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// AppendMessageChecked is AppendMessage for a sender that must take part in
// an open conversation (see storage.MessageStore). An accepted message
// costs three round trips, as AppendMessage does: the conversation read
// (the hint the sequence number starts from; the participant and status
// checks are made on the document it returns, so they cost nothing more),
// the insert, and the hint update, a FindOneAndUpdate whose filter is the
// conversation and whose ReturnDocument After is Appended.Conversation.
// Through the hub a send is thus three round trips where it was four (its
// own GetConversation is gone). Only when a newer message from another
// node described the conversation first (the update matched nothing) is
// the conversation read once more.
//
// What makes a close exclude the append is still the fence (fence.go),
// not the status read here: the visitor of a conversation never changes,
// so the participant check can rest on the read. Another visitor's
// conversation is storage.ErrNotFound, even for a duplicate client id.
func (s *Store) AppendMessageChecked(ctx context.Context, m storage.Message) (storage.Appended, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	if m.ID == "" {
		m.ID = storage.NewID("msg")
	}
	unlock, err := s.lockConversation(ctx, m.ConversationID)
	if err != nil {
		return storage.Appended{}, fmt.Errorf("append message: %w", err)
	}
	defer unlock()
	a, err := s.appendChecked(ctx, m)
	return a, wrap(err, "append message to %s", m.ConversationID)
}

// appendChecked runs AppendMessageChecked under the conversation's lock.
func (s *Store) appendChecked(ctx context.Context, m storage.Message) (storage.Appended, error) {
	conv, err := findOwned[conversationDoc](ctx, s.coll(collConversations), m.OrgID, m.ConversationID)
	if err == nil && !takesPart(conv.VisitorID, m) {
		err = storage.ErrNotFound // another visitor's: existence is not revealed
	}
	if err != nil {
		return storage.Appended{}, err
	}
	var stored storage.Message
	created := false
	if conv.Status == string(storage.ConversationClosed) {
		stored, _, err = s.appendToClosed(ctx, m)
	} else {
		stored, created, err = s.insertNext(ctx, m, conv.LastSeq+1)
	}
	if err != nil {
		return storage.Appended{}, err
	}
	if created {
		conv = s.describe(ctx, conv, stored)
	}
	return storage.Appended{Message: stored, Created: created, Conversation: conv.conversation()}, nil
}

// describe raises the hint of conversation d to the stored message m and
// returns the conversation as stored after it. The message is stored, so
// a failed update is no error (the next append or GetConversation repairs
// the hint): d is then returned as the update would have left it.
func (s *Store) describe(ctx context.Context, d conversationDoc, m storage.Message) conversationDoc {
	after, err := s.raiseHintReturning(ctx, m)
	if errors.Is(err, storage.ErrNotFound) { // a newer message is described already
		after, err = findOwned[conversationDoc](ctx, s.coll(collConversations), m.OrgID, m.ConversationID)
	}
	if err == nil {
		return after
	}
	d.LastSeq, d.Preview, d.LastSenderKind = m.Seq, storage.PreviewOf(m.Text), string(m.SenderKind)
	if m.CreatedAt.After(d.UpdatedAt) {
		d.UpdatedAt = m.CreatedAt
	}
	return d
}

// takesPart reports whether m's sender takes part in the conversation of
// visitorID: any sender but a visitor does, a visitor only in its own.
func takesPart(visitorID string, m storage.Message) bool {
	return m.SenderKind != storage.SenderVisitor || visitorID == m.SenderID
}
