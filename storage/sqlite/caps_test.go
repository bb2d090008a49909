package sqlite

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// TestListCaps checks the documented defaults and caps on rows inserted
// directly in one transaction (appending 500 messages one by one would
// cost 500 fsyncs).
func TestListCaps(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	seedSearch(t, s)
	err := s.write(t.Context(), func(tx *sql.Tx) error {
		for i := 1; i <= 501; i++ {
			const q = `INSERT INTO messages (id, org_id, conversation_id, seq, sender_kind, sender_id, text, created_at)
				VALUES (?, 'org_1', 'cnv_1', ?, 'visitor', 'vis_1', 'capped words', ?)`
			if _, err := tx.Exec(q, fmt.Sprint("msg_", i), i, i); err != nil {
				return err
			}
		}
		for i := 1; i <= 201; i++ {
			const q = `INSERT INTO conversations (id, org_id, visitor_id, widget_id, status, updated_at)
				VALUES (?, 'org_1', 'vis_1', 'wdg_1', 'open', ?)`
			if _, err := tx.Exec(q, fmt.Sprint("cnv_x", i), i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := s.SyncSearch(ctx); err != nil {
		t.Fatal(err)
	}
	count := func(n int, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tc := range []struct {
		what      string
		got, want int
	}{
		{"ListMessages limit 0", count(lenOf(s.ListMessages(ctx, "org_1", "cnv_1", 0, 0))), 100},
		{"ListMessages limit 1000", count(lenOf(s.ListMessages(ctx, "org_1", "cnv_1", 0, 1000))), 500},
		{"ListConversations limit 0", count(lenOf(s.ListConversations(ctx, "org_1", storage.ConversationFilter{}))), 50},
		{"ListConversations limit 1000", count(lenOf(s.ListConversations(ctx, "org_1", storage.ConversationFilter{Limit: 1000}))), 200},
		{"SearchMessages limit 0", count(lenOf(s.SearchMessages(ctx, "org_1", "capped", 0))), 50},
		{"SearchMessages limit 1000", count(lenOf(s.SearchMessages(ctx, "org_1", "capped", 1000))), 200},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %d results, want %d", tc.what, tc.got, tc.want)
		}
	}
}

func lenOf[T any](list []T, err error) (int, error) { return len(list), err }
