package mongo

import (
	"slices"
	"testing"
)

// ListVisitors' order and cursor bound (org_id, created_at desc, _id
// desc) have an index of exactly that shape, as the conversation lists do.
func TestListVisitorsIndex(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	if got := indexKeys(t, s, collVisitors, "org_created"); !slices.Equal(got, []string{"org_id 1", "created_at -1", "_id -1"}) {
		t.Errorf("visitors org_created keys = %q, want org_id, created_at desc, _id desc", got)
	}
	if got := indexKeys(t, s, collConversations, "org_updated"); !slices.Equal(got, []string{"org_id 1", "updated_at -1", "_id -1"}) {
		t.Errorf("conversations org_updated keys = %q", got)
	}
}
