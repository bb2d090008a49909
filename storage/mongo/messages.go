package mongo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// Message list limits (ListMessages).
const (
	defaultMessageLimit = 100
	maxMessageLimit     = 500
)

// maxAppendAttempts bounds the insert-and-retry loop of one append (the
// call's timeout bounds it too); each lost attempt means another append
// won that sequence number, so it is only reached under absurd contention.
const maxAppendAttempts = 1000

// messageDoc holds a message. ClientKey is the idempotency key the unique
// (conversation_id, client_key) index checks: "c:" + ClientID, or, for a
// message without a client id (never deduplicated), "m:" + its ID, so
// every message has one and no partial index is needed. Words are what
// SearchMessages finds it by (messageWords); they are written with the
// message (or by the backfill, for messages stored before they existed)
// and never read back into a storage.Message.
type messageDoc struct {
	ID             string    `bson:"_id"`
	OrgID          string    `bson:"org_id"`
	ConversationID string    `bson:"conversation_id"`
	Seq            int64     `bson:"seq"`
	ClientID       string    `bson:"client_id"`
	ClientKey      string    `bson:"client_key"`
	SenderKind     string    `bson:"sender_kind"`
	SenderID       string    `bson:"sender_id"`
	Text           string    `bson:"text"`
	Words          []string  `bson:"words"`
	CreatedAt      time.Time `bson:"created_at,omitempty"`
	Ins            int64     `bson:"ins"`
}

func (d messageDoc) message() storage.Message {
	return storage.Message{ID: d.ID, OrgID: d.OrgID, ConversationID: d.ConversationID, Seq: d.Seq,
		ClientID: d.ClientID, SenderKind: storage.SenderKind(d.SenderKind), SenderID: d.SenderID,
		Text: d.Text, CreatedAt: utc(d.CreatedAt)}
}

func clientKey(m storage.Message) string {
	if m.ClientID == "" {
		return "m:" + m.ID
	}
	return "c:" + m.ClientID
}

func newMessageDoc(m storage.Message) messageDoc {
	return messageDoc{ID: m.ID, OrgID: m.OrgID, ConversationID: m.ConversationID, Seq: m.Seq,
		ClientID: m.ClientID, ClientKey: clientKey(m), SenderKind: string(m.SenderKind),
		SenderID: m.SenderID, Text: m.Text, Words: messageWords(m.Text), CreatedAt: m.CreatedAt, Ins: nextIns()}
}

// withoutWords is the projection of message reads: words only serve the
// search index, and would roughly double what a read transfers.
var withoutWords = bson.D{{Key: "words", Value: 0}}

// AppendMessage stores m under the next sequence number without a
// transaction (see doc.go): it reads the conversation's LastSeq hint,
// inserts m with seq = hint+1 and lets the unique (conversation_id, seq)
// index arbitrate; a duplicate on the sequence number re-reads the true
// highest number and retries above it, a duplicate on the client id
// returns the stored message (created == false) and changes nothing. Then
// one update makes the conversation describe m: the hint, Preview and
// LastSenderKind are set and UpdatedAt raised, unless a message with a
// higher sequence number already did (see raiseHint). Appends
// through this Store to one conversation queue behind each other, so only
// other nodes' appends race it. A message with an empty ClientID is never
// deduplicated; an empty ID is generated. ErrNotFound if the conversation
// does not exist in m.OrgID; ErrConflict if m.ID is taken.
// ErrConversationClosed if the conversation is closed, as read or because
// a close's fence took the sequence number first (see fence.go): the
// check costs no round trip on the way of an accepted message. A repeated
// client id of a message stored before the close still returns that
// message (created == false).
func (s *Store) AppendMessage(ctx context.Context, m storage.Message) (storage.Message, bool, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	if m.ID == "" {
		m.ID = storage.NewID("msg")
	}
	unlock, err := s.lockConversation(ctx, m.ConversationID)
	if err != nil {
		return storage.Message{}, false, fmt.Errorf("append message: %w", err)
	}
	defer unlock()
	conv, err := findOwned[conversationDoc](ctx, s.coll(collConversations), m.OrgID, m.ConversationID)
	if err != nil {
		return storage.Message{}, false, fmt.Errorf("append message to %s: %w", m.ConversationID, err)
	}
	if conv.Status == string(storage.ConversationClosed) {
		stored, _, err := s.appendToClosed(ctx, m)
		return stored, false, wrap(err, "append message to %s", m.ConversationID)
	}
	stored, created, err := s.insertNext(ctx, m, conv.LastSeq+1)
	if err != nil {
		return storage.Message{}, false, fmt.Errorf("append message to %s: %w", m.ConversationID, err)
	}
	if created {
		// The message is stored: a failed hint update is repaired by the
		// next append or GetConversation, so it is not an error.
		_ = s.raiseHint(ctx, stored)
	}
	return stored, created, nil
}

// insertNext inserts m with sequence number seq, retrying above the true
// highest number while other appends win; see AppendMessage.
func (s *Store) insertNext(ctx context.Context, m storage.Message, seq int64) (storage.Message, bool, error) {
	for attempt := range maxAppendAttempts {
		m.Seq = seq
		_, err := s.coll(collMessages).InsertOne(ctx, newMessageDoc(m))
		if err == nil {
			return m, true, nil
		}
		if !isDuplicate(err) {
			return storage.Message{}, false, translate(err)
		}
		newest, err := s.newestEntry(ctx, m.ConversationID)
		if err != nil {
			return storage.Message{}, false, err
		}
		if newest.SenderKind == fenceSender { // closed since the conversation was read
			return s.appendToClosed(ctx, m)
		}
		if newest.Seq >= seq { // lost the sequence number to another append
			seq = newest.Seq + 1
			if err := backoff(ctx, attempt); err != nil {
				return storage.Message{}, false, err
			}
			continue
		}
		// The sequence number was free: the client id or the id is taken.
		prev, err := s.messageByClientID(ctx, m)
		if errors.Is(err, storage.ErrNotFound) {
			err = fmt.Errorf("%w: message id %s is taken", storage.ErrConflict, m.ID)
		}
		return prev, false, err
	}
	return storage.Message{}, false, fmt.Errorf("no free sequence number after %d attempts", maxAppendAttempts)
}

// messageByClientID returns the message of m's conversation with m's
// client id; ErrNotFound if there is none (or m has no client id).
func (s *Store) messageByClientID(ctx context.Context, m storage.Message) (storage.Message, error) {
	if m.ClientID == "" {
		return storage.Message{}, storage.ErrNotFound
	}
	filter := bson.D{{Key: "conversation_id", Value: m.ConversationID}, {Key: "client_key", Value: clientKey(m)},
		{Key: "org_id", Value: m.OrgID}}
	d, err := findOne[messageDoc](ctx, s.coll(collMessages), filter, options.FindOne().SetProjection(withoutWords))
	return d.message(), err
}

// backoff pauses a random while, growing with attempt (up to 16ms), so
// that appends of several nodes which lost a sequence number to each other
// do not collide again at once.
func backoff(ctx context.Context, attempt int) error {
	limit := time.Duration(1<<min(attempt, 4)) * time.Millisecond
	t := time.NewTimer(rand.N(limit))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ListMessages returns up to limit messages of the conversation with
// Seq > afterSeq in ascending Seq order (limit <= 0 means 100, capped at
// 500). A conversation of another organisation has no messages.
func (s *Store) ListMessages(ctx context.Context, orgID, conversationID string, afterSeq int64, limit int) ([]storage.Message, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "conversation_id", Value: conversationID}, {Key: "org_id", Value: orgID},
		{Key: "seq", Value: bson.D{{Key: "$gt", Value: afterSeq}}}, notFence}
	n := clamp(limit, defaultMessageLimit, maxMessageLimit)
	list, err := findAll[messageDoc](ctx, s.coll(collMessages), filter, sorted(n, asc("seq")).SetProjection(withoutWords))
	if err != nil {
		return nil, fmt.Errorf("list messages of %s: %w", conversationID, err)
	}
	return convert(list, messageDoc.message), nil
}
