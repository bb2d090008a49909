package mongo

import (
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// TestListCaps checks the documented defaults and caps on documents
// inserted directly (appending 500 messages one by one would be slow).
func TestListCaps(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	c := seedConversation(t, s)
	var msgs, convs []any
	for i := 1; i <= 501; i++ {
		m := textMessage(c, fmt.Sprint("c", i), i)
		m.ID, m.Seq, m.Text = fmt.Sprint("msg_", i), int64(i), "capped words"
		msgs = append(msgs, newMessageDoc(m))
	}
	for i := 1; i <= 201; i++ {
		convs = append(convs, conversationDoc{ID: fmt.Sprint("cnv_x", i), OrgID: c.OrgID, Status: "open", UpdatedAt: at(i)})
	}
	if _, err := s.coll(collMessages).InsertMany(t.Context(), msgs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.coll(collConversations).InsertMany(t.Context(), convs); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
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
		{"ListMessages limit 0", count(lenOf(s.ListMessages(ctx, c.OrgID, c.ID, 0, 0))), 100},
		{"ListMessages limit 1000", count(lenOf(s.ListMessages(ctx, c.OrgID, c.ID, 0, 1000))), 500},
		{"ListConversations limit 0", count(lenOf(s.ListConversations(ctx, c.OrgID, storage.ConversationFilter{}))), 50},
		{"ListConversations limit 1000", count(lenOf(s.ListConversations(ctx, c.OrgID, storage.ConversationFilter{Limit: 1000}))), 200},
		{"SearchMessages limit 0", count(lenOf(s.SearchMessages(ctx, c.OrgID, "capped", 0))), 50},
		{"SearchMessages limit 1000", count(lenOf(s.SearchMessages(ctx, c.OrgID, "capped", 1000))), 200},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %d results, want %d", tc.what, tc.got, tc.want)
		}
	}
}

func lenOf[T any](list []T, err error) (int, error) { return len(list), err }
