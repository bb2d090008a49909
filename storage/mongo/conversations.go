package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// Conversation list limits (storage.ConversationFilter.Limit).
const (
	defaultConversationLimit = 50
	maxConversationLimit     = 200
)

// conversationDoc holds a conversation. LastSeq is a hint (see doc.go):
// never above the highest stored sequence number, and equal to it unless
// an append died between its insert and the hint update.
type conversationDoc struct {
	ID             string    `bson:"_id"`
	OrgID          string    `bson:"org_id"`
	VisitorID      string    `bson:"visitor_id"`
	WidgetID       string    `bson:"widget_id"`
	AssigneeID     string    `bson:"assignee_id"` // "" while unassigned
	Status         string    `bson:"status"`
	LastSeq        int64     `bson:"last_seq"`
	VisitorReadSeq int64     `bson:"visitor_read_seq"`
	AgentReadSeq   int64     `bson:"agent_read_seq"`
	Preview        string    `bson:"preview"`          // absent (so "") before issue 9
	LastSenderKind string    `bson:"last_sender_kind"` // likewise
	CreatedAt      time.Time `bson:"created_at,omitempty"`
	UpdatedAt      time.Time `bson:"updated_at,omitempty"`
	ClosedAt       time.Time `bson:"closed_at,omitempty"`
}

func (d conversationDoc) org() string { return d.OrgID }

func (d conversationDoc) conversation() storage.Conversation {
	return storage.Conversation{ID: d.ID, OrgID: d.OrgID, VisitorID: d.VisitorID, WidgetID: d.WidgetID,
		AssigneeID: d.AssigneeID, Status: storage.ConversationStatus(d.Status), LastSeq: d.LastSeq,
		VisitorReadSeq: d.VisitorReadSeq, AgentReadSeq: d.AgentReadSeq, Preview: d.Preview,
		LastSenderKind: storage.SenderKind(d.LastSenderKind), CreatedAt: utc(d.CreatedAt),
		UpdatedAt: utc(d.UpdatedAt), ClosedAt: utc(d.ClosedAt)}
}

// CreateConversation stores a new conversation with LastSeq and both read
// sequences 0 and no preview. An empty Status is stored as open.
func (s *Store) CreateConversation(ctx context.Context, c storage.Conversation) error {
	if c.Status == "" {
		c.Status = storage.ConversationOpen
	}
	if c.ID == "" || (c.Status != storage.ConversationOpen && c.Status != storage.ConversationClosed) {
		return fmt.Errorf("create conversation: need an id and a valid status, got %q, %q", c.ID, c.Status)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	doc := conversationDoc{ID: c.ID, OrgID: c.OrgID, VisitorID: c.VisitorID, WidgetID: c.WidgetID,
		AssigneeID: c.AssigneeID, Status: string(c.Status), CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt, ClosedAt: c.ClosedAt}
	if _, err := s.coll(collConversations).InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("create conversation %s: %w", c.ID, translate(err))
	}
	return nil
}

// GetConversation returns conversation id of organisation orgID. Its
// LastSeq is the highest stored sequence number: a hint left behind by an
// interrupted append is repaired here.
func (s *Store) GetConversation(ctx context.Context, orgID, id string) (storage.Conversation, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	d, err := findOwned[conversationDoc](ctx, s.coll(collConversations), orgID, id)
	if err == nil {
		d, err = s.repairHint(ctx, d)
	}
	if err != nil {
		return storage.Conversation{}, fmt.Errorf("get conversation %s: %w", id, err)
	}
	return d.conversation(), nil
}

// ListConversations returns the organisation's conversations matching f,
// ordered by UpdatedAt descending, then ID descending. LastSeq is the
// stored hint (exact unless an append was interrupted; GetConversation
// repairs it).
func (s *Store) ListConversations(ctx context.Context, orgID string, f storage.ConversationFilter) ([]storage.Conversation, error) {
	if f.Unassigned && f.AssigneeID != "" {
		return nil, nil // no conversation is both
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	n := clamp(f.Limit, defaultConversationLimit, maxConversationLimit)
	list, err := findAll[conversationDoc](ctx, s.coll(collConversations), conversationFilter(orgID, f),
		sorted(n, desc("updated_at"), desc("_id")))
	if err != nil {
		return nil, fmt.Errorf("list conversations of %s: %w", orgID, err)
	}
	return convert(list, conversationDoc.conversation), nil
}

func conversationFilter(orgID string, f storage.ConversationFilter) bson.D {
	filter := bson.D{{Key: "org_id", Value: orgID}}
	add := func(field string, value any) { filter = append(filter, bson.E{Key: field, Value: value}) }
	if f.Status != "" {
		add("status", string(f.Status))
	}
	if f.AssigneeID != "" {
		add("assignee_id", f.AssigneeID)
	}
	if f.Unassigned {
		add("assignee_id", "")
	}
	if f.VisitorID != "" {
		add("visitor_id", f.VisitorID)
	}
	if !f.Before.IsZero() {
		add("updated_at", bson.D{{Key: "$lt", Value: f.Before}})
	}
	if c := f.Cursor; c != nil {
		filter = append(filter, afterCursor("updated_at", c.UpdatedAt, c.ID)...)
	}
	return filter
}

// afterCursor is the filter of the rows strictly after (at, id) in the
// order (field descending, _id descending). The $lte bounds the index
// scan on (org_id, …, field desc, _id desc); the $or only drops the few
// rows at exactly that time with an id not below the cursor's. (With
// Before also set, both bounds on field apply: Mongo intersects them.)
func afterCursor(field string, at time.Time, id string) bson.D {
	return bson.D{
		{Key: "$and", Value: bson.A{
			bson.D{{Key: field, Value: bson.D{{Key: "$lte", Value: at}}}},
			bson.D{{Key: "$or", Value: bson.A{
				bson.D{{Key: field, Value: bson.D{{Key: "$lt", Value: at}}}},
				bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: id}}}},
			}}},
		}},
	}
}

// SetAssignee sets the assignee to `to` only if it currently equals `from`
// ("" meaning unassigned); otherwise ErrConflict. UpdatedAt becomes at.
// The compare-and-swap is one conditional update: atomic on MongoDB;
// FerretDB v1 runs updates as read-then-write, so there only calls through
// one Store are safe from each other (see doc.go).
func (s *Store) SetAssignee(ctx context.Context, orgID, id, from, to string, at time.Time) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockConversation(ctx, id)
	if err != nil {
		return fmt.Errorf("set assignee of %s: %w", id, err)
	}
	defer unlock()
	filter := bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: orgID}, {Key: "assignee_id", Value: from}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "assignee_id", Value: to}, {Key: "updated_at", Value: at}}}}
	err = updateOne(ctx, s.coll(collConversations), filter, update)
	if errors.Is(err, storage.ErrNotFound) {
		if _, err = findOwned[conversationDoc](ctx, s.coll(collConversations), orgID, id); err == nil {
			err = fmt.Errorf("%w: assignee is not %q", storage.ErrConflict, from)
		}
	}
	return wrap(err, "set assignee of %s", id)
}

// CloseConversation marks the conversation closed at `at`, setting
// ClosedAt and UpdatedAt. Closing a closed conversation changes nothing.
// Before the status changes, a fence takes the next sequence number (see
// insertFence): from then on no append can be stored, on any node.
func (s *Store) CloseConversation(ctx context.Context, orgID, id string, at time.Time) error {
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: string(storage.ConversationClosed)},
		{Key: "closed_at", Value: at}, {Key: "updated_at", Value: at}}}}
	fence := func(ctx context.Context, d conversationDoc) error { return s.insertFence(ctx, d, at) }
	return wrap(s.transition(ctx, orgID, id, storage.ConversationOpen, update, fence), "close conversation %s", id)
}

// ReopenConversation makes a closed conversation open, assigned to
// assigneeID, with ClosedAt removed and UpdatedAt set to at, in one
// conditional update (status closed is in the filter), after removing the
// close's fence. An open conversation is left as it is (nil). ErrNotFound
// if the conversation is not in orgID. On FerretDB v1 only reopens through
// one Store exclude each other (see doc.go).
func (s *Store) ReopenConversation(ctx context.Context, orgID, id, assigneeID string, at time.Time) error {
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "status", Value: string(storage.ConversationOpen)},
			{Key: "assignee_id", Value: assigneeID}, {Key: "updated_at", Value: at}}},
		{Key: "$unset", Value: bson.D{{Key: "closed_at", Value: ""}}},
	}
	unfence := func(ctx context.Context, d conversationDoc) error { return s.removeFence(ctx, d.ID) }
	return wrap(s.transition(ctx, orgID, id, storage.ConversationClosed, update, unfence), "reopen conversation %s", id)
}

// transition moves conversation id of orgID from status `from` to what
// update sets, under the conversation's lock: first (when not nil) runs on
// the conversation as read under the lock, then the update, filtered on
// status `from`. A conversation not in status `from` is left as it is
// (nil); ErrNotFound if it is not in orgID.
func (s *Store) transition(ctx context.Context, orgID, id string, from storage.ConversationStatus, update bson.D,
	first func(context.Context, conversationDoc) error) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockConversation(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	d, err := findOwned[conversationDoc](ctx, s.coll(collConversations), orgID, id)
	if err != nil || d.Status != string(from) {
		return err
	}
	if first != nil {
		if err := first(ctx, d); err != nil {
			return err
		}
	}
	filter := bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: orgID}, {Key: "status", Value: string(from)}}
	err = updateOne(ctx, s.coll(collConversations), filter, update)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // another node moved it first
	}
	return err
}

// readSeqField maps a side to its field.
var readSeqField = map[storage.SenderKind]string{
	storage.SenderVisitor: "visitor_read_seq",
	storage.SenderAgent:   "agent_read_seq",
}

// MarkRead raises the side's read sequence to seq, never lowering it and
// never beyond the highest stored sequence number, and returns the
// resulting value. side must be SenderVisitor or SenderAgent.
func (s *Store) MarkRead(ctx context.Context, orgID, id string, side storage.SenderKind, seq int64) (int64, error) {
	field, ok := readSeqField[side]
	if !ok {
		return 0, fmt.Errorf("mark read %s: invalid side %q", id, side)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	unlock, err := s.lockConversation(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("mark read %s: %w", id, err)
	}
	defer unlock()
	newest, err := s.newestMessage(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("mark read %s: %w", id, err)
	}
	filter := bson.D{{Key: "_id", Value: id}, {Key: "org_id", Value: orgID}}
	update := bson.D{{Key: "$max", Value: bson.D{{Key: field, Value: min(seq, newest.Seq)}}}}
	opts := options.FindOneAndUpdate().SetReturnDocument(options.After)
	var d conversationDoc
	err = s.coll(collConversations).FindOneAndUpdate(ctx, filter, update, opts).Decode(&d)
	if err != nil {
		return 0, fmt.Errorf("mark read %s: %w", id, translate(err))
	}
	if side == storage.SenderVisitor {
		return d.VisitorReadSeq, nil
	}
	return d.AgentReadSeq, nil
}
