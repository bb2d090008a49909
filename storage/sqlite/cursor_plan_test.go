package sqlite

import (
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// queryPlan returns SQLite's plan for q with args, one detail per line.
func queryPlan(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}

// The cursor queries are index range scans in index order: no temporary
// sort, and the cursor bound is part of the index search (not a filter
// over every row of the organisation).
func TestCursorQueriesUseTheirIndexes(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	at := time.UnixMilli(1_767_225_600_000)
	conv := storage.ConversationCursor{UpdatedAt: at, ID: "cnv_x"}
	for _, tc := range []struct {
		name, index string
		f           storage.ConversationFilter
	}{
		{"all", "conversations_org_updated", storage.ConversationFilter{Cursor: &conv}},
		{"status", "conversations_org_status", storage.ConversationFilter{Status: storage.ConversationOpen, Cursor: &conv}},
		{"assignee", "conversations_org_assignee", storage.ConversationFilter{AssigneeID: "agt_1", Cursor: &conv}},
	} {
		q, args := conversationQuery("org_1", tc.f)
		plan := queryPlan(t, s, q, args...)
		if !strings.Contains(plan, "USING INDEX "+tc.index+" (org_id=? AND") ||
			!strings.Contains(plan, "(updated_at,id)<(?,?))") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan does not range-scan %s in order:\n%s", tc.name, tc.index, plan)
		}
	}
	q := "SELECT " + visitorCols + " FROM visitors WHERE org_id = ? AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?"
	plan := queryPlan(t, s, q, "org_1", at.UnixMilli(), "vis_x", 50)
	if !strings.Contains(plan, "USING INDEX visitors_org_created (org_id=? AND (created_at,id)<(?,?))") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("visitors: plan does not range-scan visitors_org_created in order:\n%s", plan)
	}
}
