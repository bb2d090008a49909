package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// newestMessage returns the seq and time of the conversation's message
// with the highest sequence number: the source of truth for LastSeq (a
// close's fence is no message, see fence.go). An
// empty conversation gives the zero message (Seq 0).
func (s *Store) newestMessage(ctx context.Context, conversationID string) (messageDoc, error) {
	filter := bson.D{{Key: "conversation_id", Value: conversationID}, notFence}
	opts := options.FindOne().SetSort(bson.D{desc("seq")}).SetProjection(bson.D{
		{Key: "seq", Value: 1}, {Key: "created_at", Value: 1}})
	d, err := findOne[messageDoc](ctx, s.coll(collMessages), filter, opts)
	if errors.Is(err, storage.ErrNotFound) {
		return messageDoc{}, nil
	}
	return d, err
}

// raiseHint makes the conversation describe m as its newest message, in
// one update: LastSeq becomes m.Seq, Preview storage.PreviewOf(m.Text) and
// LastSenderKind m.SenderKind, and UpdatedAt is raised to m.CreatedAt
// (never lowered; a zero time leaves it). The filter last_seq <= m.Seq
// keeps an older message from overwriting a newer one's preview when
// appends of several nodes finish out of order; then nothing changes and
// the newer message stays described. Setting the same m twice is harmless.
func (s *Store) raiseHint(ctx context.Context, m storage.Message) error {
	filter, update := hintUpdate(m)
	err := updateOne(ctx, s.coll(collConversations), filter, update)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // a newer message is described already
	}
	return err
}

// raiseHintReturning is raiseHint returning the conversation as updated,
// in the same single round trip (FindOneAndUpdate, ReturnDocument After).
// storage.ErrNotFound when nothing changed: a newer message is described.
func (s *Store) raiseHintReturning(ctx context.Context, m storage.Message) (conversationDoc, error) {
	filter, update := hintUpdate(m)
	opts := options.FindOneAndUpdate().SetReturnDocument(options.After)
	var d conversationDoc
	err := s.coll(collConversations).FindOneAndUpdate(ctx, filter, update, opts).Decode(&d)
	return d, translate(err)
}

// hintUpdate is the filter and update of raiseHint for message m.
func hintUpdate(m storage.Message) (filter, update bson.D) {
	filter = bson.D{{Key: "_id", Value: m.ConversationID},
		{Key: "last_seq", Value: bson.D{{Key: "$lte", Value: m.Seq}}}}
	update = bson.D{{Key: "$set", Value: bson.D{{Key: "last_seq", Value: m.Seq},
		{Key: "preview", Value: storage.PreviewOf(m.Text)}, {Key: "last_sender_kind", Value: string(m.SenderKind)}}}}
	if !m.CreatedAt.IsZero() {
		update = append(update, bson.E{Key: "$max", Value: bson.D{{Key: "updated_at", Value: m.CreatedAt}}})
	}
	return filter, update
}

// repairHint returns d describing the newest stored message, raising the
// stored hint (and setting the preview) when an interrupted append left
// it behind. The check costs one indexed query; the repair two more.
func (s *Store) repairHint(ctx context.Context, d conversationDoc) (conversationDoc, error) {
	newest, err := s.newestMessage(ctx, d.ID)
	if err != nil || newest.Seq <= d.LastSeq {
		return d, err
	}
	full, err := findOne[messageDoc](ctx, s.coll(collMessages),
		bson.D{{Key: "conversation_id", Value: d.ID}, {Key: "seq", Value: newest.Seq}},
		options.FindOne().SetProjection(withoutWords))
	if err != nil {
		return d, err
	}
	unlock, err := s.lockConversation(ctx, d.ID)
	if err != nil {
		return d, err
	}
	err = s.raiseHint(ctx, full.message())
	unlock()
	if err != nil {
		return d, err
	}
	d.LastSeq, d.Preview, d.LastSenderKind = full.Seq, storage.PreviewOf(full.Text), full.SenderKind
	if full.CreatedAt.After(d.UpdatedAt) {
		d.UpdatedAt = full.CreatedAt
	}
	return d, nil
}
