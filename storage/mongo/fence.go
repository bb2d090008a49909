package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// A fence is what makes "closed" hold across nodes without a transaction
// (see doc.go): CloseConversation first inserts, into messages, a document
// with sender kind fenceSender under the conversation's next sequence
// number, then sets the status. Appends only ever succeed as the highest
// sequence number plus one, and the conversation's last_seq hint never
// counts a fence, so once the fence is stored every append collides with
// it on the unique (conversation_id, seq) index, finds it as the newest
// entry and refuses with storage.ErrConversationClosed; an append that
// won its number first has a lower one. The client key fenceKey is unique
// per conversation like every client key, so there is at most one fence.
// ReopenConversation deletes it before setting the status back to open.
// Reads never return a fence: ListMessages and newestMessage filter it
// out (notFence), and with no words search never finds one.
const (
	fenceSender = "fence"
	fenceKey    = "f:closed"
)

// notFence is the filter term that leaves fences out of message reads.
var notFence = bson.E{Key: "sender_kind", Value: bson.D{{Key: "$ne", Value: fenceSender}}}

// newestEntry returns the seq and sender kind of the conversation's
// message or fence with the highest sequence number (the zero document
// for an empty conversation).
func (s *Store) newestEntry(ctx context.Context, conversationID string) (messageDoc, error) {
	opts := options.FindOne().SetSort(bson.D{desc("seq")}).SetProjection(bson.D{
		{Key: "seq", Value: 1}, {Key: "sender_kind", Value: 1}})
	d, err := findOne[messageDoc](ctx, s.coll(collMessages), bson.D{{Key: "conversation_id", Value: conversationID}}, opts)
	if errors.Is(err, storage.ErrNotFound) {
		return messageDoc{}, nil
	}
	return d, err
}

// insertFence stores conversation d's fence above its newest message,
// retrying above the true highest number while appends win (without the
// appends' pause, so that a close is not starved by a busy conversation:
// each lost attempt means a message was stored); a fence that
// is there already (a concurrent close, or one interrupted before it set
// the status) is kept.
func (s *Store) insertFence(ctx context.Context, d conversationDoc, at time.Time) error {
	seq := d.LastSeq + 1
	for range maxAppendAttempts {
		fence := messageDoc{ID: storage.NewID("fnc"), OrgID: d.OrgID, ConversationID: d.ID, Seq: seq,
			ClientKey: fenceKey, SenderKind: fenceSender, Words: []string{}, CreatedAt: at, Ins: nextIns()}
		_, err := s.coll(collMessages).InsertOne(ctx, fence)
		if err == nil || !isDuplicate(err) {
			return translate(err)
		}
		newest, err := s.newestEntry(ctx, d.ID)
		if err != nil {
			return err
		}
		if newest.SenderKind == fenceSender || newest.Seq < seq {
			return nil // a fence is there (the number was free, so the client key was taken)
		}
		seq = newest.Seq + 1 // at once: a pause would let the appends win again
	}
	return errors.New("no free sequence number for the close")
}

// removeFence deletes the conversation's fence, if it has one.
func (s *Store) removeFence(ctx context.Context, conversationID string) error {
	filter := bson.D{{Key: "conversation_id", Value: conversationID}, {Key: "client_key", Value: fenceKey}}
	_, err := s.coll(collMessages).DeleteOne(ctx, filter)
	return translate(err)
}

// appendToClosed answers an append to a closed conversation: the message
// stored earlier under m's client id (created == false), else
// storage.ErrConversationClosed.
func (s *Store) appendToClosed(ctx context.Context, m storage.Message) (storage.Message, bool, error) {
	prev, err := s.messageByClientID(ctx, m)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Message{}, false, storage.ErrConversationClosed
	}
	return prev, false, err
}
