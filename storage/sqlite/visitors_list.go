package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/helpr-chat/helpr/storage"
)

// Visitor list limits (ListVisitors).
const (
	defaultVisitorLimit = 50
	maxVisitorLimit     = 200
)

// ListVisitors returns up to limit visitors of orgID, newest first
// (created_at DESC, id DESC), erased ones included, strictly after cursor
// when it is set. The visitors_org_created index serves the order and the
// cursor's range (a row-value comparison).
func (s *Store) ListVisitors(ctx context.Context, orgID string, cursor *storage.VisitorCursor, limit int) ([]storage.Visitor, error) {
	var b strings.Builder
	b.WriteString("SELECT " + visitorCols + " FROM visitors WHERE org_id = ?")
	args := []any{orgID}
	if cursor != nil {
		b.WriteString(" AND (created_at, id) < (?, ?)")
		args = append(args, cursor.CreatedAt.UnixMilli(), cursor.ID)
	}
	b.WriteString(" ORDER BY created_at DESC, id DESC LIMIT ?")
	args = append(args, clamp(limit, defaultVisitorLimit, maxVisitorLimit))
	list, err := queryList(ctx, s.r, scanVisitor, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list visitors of %s: %w", orgID, err)
	}
	return list, nil
}
