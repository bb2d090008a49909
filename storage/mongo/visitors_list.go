package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/storage"
)

// Visitor list limits (ListVisitors).
const (
	defaultVisitorLimit = 50
	maxVisitorLimit     = 200
)

// ListVisitors returns up to limit visitors of orgID, newest first
// (created_at descending, then _id descending), erased ones included,
// strictly after cursor when it is set. The org_created index serves the
// order and the cursor's bound.
func (s *Store) ListVisitors(ctx context.Context, orgID string, cursor *storage.VisitorCursor, limit int) ([]storage.Visitor, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	filter := bson.D{{Key: "org_id", Value: orgID}}
	if cursor != nil {
		filter = append(filter, afterCursor("created_at", cursor.CreatedAt, cursor.ID)...)
	}
	n := clamp(limit, defaultVisitorLimit, maxVisitorLimit)
	list, err := findAll[visitorDoc](ctx, s.coll(collVisitors), filter, sorted(n, desc("created_at"), desc("_id")))
	if err != nil {
		return nil, fmt.Errorf("list visitors of %s: %w", orgID, err)
	}
	return convert(list, visitorDoc.visitor), nil
}
