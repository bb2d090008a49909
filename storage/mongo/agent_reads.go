package mongo

import (
	"context"
	"fmt"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/storage"
)

// agentReadDoc is one agent's own read mark of a conversation, keyed by
// agentReadKey (a lone string _id, which FerretDB v1 answers from an
// index); the unique (org_id, agent_id, conversation_id) index holds the
// same key as fields.
type agentReadDoc struct {
	ID             string `bson:"_id"`
	OrgID          string `bson:"org_id"`
	ConversationID string `bson:"conversation_id"`
	AgentID        string `bson:"agent_id"`
	Seq            int64  `bson:"seq"`
}

// agentReadKey is the _id of an agent's mark of a conversation. The
// length prefix keeps it unambiguous whatever the ids hold.
func agentReadKey(conversationID, agentID string) string {
	return strconv.Itoa(len(conversationID)) + ":" + conversationID + ":" + agentID
}

// MarkAgentRead raises the agent's own read mark to seq (at least 0, never
// lowered, never beyond the highest stored sequence number) and the
// conversation's AgentReadSeq to at least the same value, and returns the
// agent's resulting mark. ErrNotFound if the conversation is not in orgID.
//
// Without transactions it takes two writes, both $max, in this order: the
// conversation first (its org_id filter is also the tenancy check, before
// anything is written for the agent), then the agent's mark (an upsert).
// Each is idempotent, so a retry completes an interrupted call, and a
// crash between them leaves the agent's own mark behind (its unread count
// too high), never the conversation's AgentReadSeq below a mark. Calls
// through one Store to one conversation queue on its lock.
func (s *Store) MarkAgentRead(ctx context.Context, orgID, conversationID, agentID string, seq int64) (int64, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	mark, err := s.markAgentRead(ctx, orgID, conversationID, agentID, seq)
	return mark, wrap(err, "mark %s read by agent %s", conversationID, agentID)
}

func (s *Store) markAgentRead(ctx context.Context, orgID, conversationID, agentID string, seq int64) (int64, error) {
	unlock, err := s.lockConversation(ctx, conversationID)
	if err != nil {
		return 0, err
	}
	defer unlock()
	newest, err := s.newestMessage(ctx, conversationID)
	if err != nil {
		return 0, err
	}
	mark := max(0, min(seq, newest.Seq))
	filter := bson.D{{Key: "_id", Value: conversationID}, {Key: "org_id", Value: orgID}}
	update := bson.D{{Key: "$max", Value: bson.D{{Key: "agent_read_seq", Value: mark}}}}
	if err := updateOne(ctx, s.coll(collConversations), filter, update); err != nil {
		return 0, err
	}
	return s.raiseAgentMark(ctx, agentReadDoc{ID: agentReadKey(conversationID, agentID), OrgID: orgID,
		ConversationID: conversationID, AgentID: agentID, Seq: mark})
}

// raiseAgentMark upserts d's mark, raising an existing one with $max, and
// returns the stored mark. Two nodes upserting a new mark at once can have
// one insert fail on the unique key; the retry then finds the document.
func (s *Store) raiseAgentMark(ctx context.Context, d agentReadDoc) (int64, error) {
	filter := bson.D{{Key: "_id", Value: d.ID}}
	update := bson.D{
		{Key: "$max", Value: bson.D{{Key: "seq", Value: d.Seq}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "org_id", Value: d.OrgID},
			{Key: "conversation_id", Value: d.ConversationID}, {Key: "agent_id", Value: d.AgentID}}},
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var got agentReadDoc
	err := s.coll(collAgentReads).FindOneAndUpdate(ctx, filter, update, opts).Decode(&got)
	if isDuplicate(err) {
		err = s.coll(collAgentReads).FindOneAndUpdate(ctx, filter, update, opts).Decode(&got)
	}
	return got.Seq, translate(err)
}

// AgentReadSeqs returns the agent's read marks of the organisation's
// conversations among conversationIDs (at most storage.MaxAgentReadIDs),
// keyed by conversation id; unmarked conversations have no entry. One
// query by _id.
func (s *Store) AgentReadSeqs(ctx context.Context, orgID, agentID string, conversationIDs []string) (map[string]int64, error) {
	if err := storage.CheckAgentReadIDs(conversationIDs); err != nil {
		return nil, err
	}
	marks := make(map[string]int64, len(conversationIDs))
	if len(conversationIDs) == 0 {
		return marks, nil
	}
	keys := make(bson.A, len(conversationIDs))
	for i, id := range conversationIDs {
		keys[i] = agentReadKey(id, agentID)
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: keys}}},
		{Key: "org_id", Value: orgID}, {Key: "agent_id", Value: agentID}}
	opts := options.Find().SetProjection(bson.D{{Key: "conversation_id", Value: 1}, {Key: "seq", Value: 1}})
	list, err := findAll[agentReadDoc](ctx, s.coll(collAgentReads), filter, opts)
	if err != nil {
		return nil, fmt.Errorf("agent %s read seqs: %w", agentID, err)
	}
	for _, d := range list {
		marks[d.ConversationID] = d.Seq
	}
	return marks, nil
}
