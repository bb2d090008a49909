package storetest

import (
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var conversationCases = []testCase{
	{"Conversations", testConversations},
	{"ListConversationsFilters", testListConversationsFilters},
	{"ListConversationsPaging", testListConversationsPaging},
	{"SetAssigneeCompareAndSwap", testSetAssignee},
	{"CloseConversation", testCloseConversation},
	{"MarkRead", testMarkRead},
}

func conversationID(c storage.Conversation) string { return c.ID }

func testConversations(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	got, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get conversation")
	same(t, got, c, "conversation")
	_, err = s.GetConversation(ctx(t), tn.org.ID, "cnv_missing")
	wantErr(t, err, storage.ErrNotFound, "unknown conversation")
	dup := c
	dup.VisitorID = "vis_other"
	wantErr(t, s.CreateConversation(ctx(t), dup), storage.ErrConflict, "duplicate conversation id")
}

func testListConversationsFilters(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	other := storage.Visitor{ID: "vis_other", OrgID: tn.org.ID, WidgetID: tn.widget.ID, CreatedAt: at(3)}
	ok(t, s.CreateVisitor(ctx(t), other), "create second visitor")
	c1 := tn.conversation(t, s, "cnv_1", 10)
	c2 := tn.conversation(t, s, "cnv_2", 20)
	tn.conversation(t, s, "cnv_3", 30)
	c4 := storage.Conversation{ID: "cnv_4", OrgID: tn.org.ID, VisitorID: other.ID, WidgetID: tn.widget.ID,
		Status: storage.ConversationOpen, CreatedAt: at(40), UpdatedAt: at(40)}
	ok(t, s.CreateConversation(ctx(t), c4), "create conversation of second visitor")
	ok(t, s.SetAssignee(ctx(t), tn.org.ID, c1.ID, "", tn.owner.ID, at(50)), "assign c1")
	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c2.ID, at(5)), "close c2")

	for _, tc := range []struct {
		name string
		f    storage.ConversationFilter
		want []string
	}{
		// c1 was updated at 50 by the assignment; the rest keep their times
		// except c2, which closing may or may not touch, so it is filtered
		// out of the order-sensitive cases.
		{"open", storage.ConversationFilter{Status: storage.ConversationOpen}, []string{"cnv_1", "cnv_4", "cnv_3"}},
		{"closed", storage.ConversationFilter{Status: storage.ConversationClosed}, []string{"cnv_2"}},
		{"assignee", storage.ConversationFilter{AssigneeID: tn.owner.ID}, []string{"cnv_1"}},
		{"unassigned open", storage.ConversationFilter{Unassigned: true, Status: storage.ConversationOpen}, []string{"cnv_4", "cnv_3"}},
		{"visitor", storage.ConversationFilter{VisitorID: other.ID}, []string{"cnv_4"}},
		{"open before 40s", storage.ConversationFilter{Status: storage.ConversationOpen, Before: at(40)}, []string{"cnv_3"}},
		{"open limit 2", storage.ConversationFilter{Status: storage.ConversationOpen, Limit: 2}, []string{"cnv_1", "cnv_4"}},
	} {
		list, err := s.ListConversations(ctx(t), tn.org.ID, tc.f)
		ok(t, err, "list "+tc.name)
		sameList(t, ids(list, conversationID), tc.want, "list "+tc.name)
	}
	all, err := s.ListConversations(ctx(t), tn.org.ID, storage.ConversationFilter{})
	ok(t, err, "list all")
	if len(all) != 4 {
		t.Errorf("list all: got %v, want 4 conversations", ids(all, conversationID))
	}
}

// testListConversationsPaging walks a list with Before and checks the
// default limit of 50.
func testListConversationsPaging(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	const n = 55
	var want []string
	for i := n; i >= 1; i-- {
		want = append(want, fmt.Sprintf("cnv_%02d", i)) // newest first
	}
	for i := 1; i <= n; i++ {
		tn.conversation(t, s, fmt.Sprintf("cnv_%02d", i), 10+i)
	}
	first, err := s.ListConversations(ctx(t), tn.org.ID, storage.ConversationFilter{})
	ok(t, err, "first page")
	sameList(t, ids(first, conversationID), want[:50], "first page (default limit 50)")
	var walked []string
	f := storage.ConversationFilter{Limit: 20}
	for page := 0; page < 10; page++ {
		list, err := s.ListConversations(ctx(t), tn.org.ID, f)
		ok(t, err, "page")
		if len(list) == 0 {
			break
		}
		walked = append(walked, ids(list, conversationID)...)
		f.Before = list[len(list)-1].UpdatedAt
	}
	same(t, walked, want, "all pages")
}

func testSetAssignee(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	ok(t, s.SetAssignee(ctx(t), tn.org.ID, c.ID, "", "agt_a", at(20)), "assign from unassigned")
	wantErr(t, s.SetAssignee(ctx(t), tn.org.ID, c.ID, "", "agt_b", at(30)), storage.ErrConflict, "assign with stale from")
	wantErr(t, s.SetAssignee(ctx(t), tn.org.ID, c.ID, "agt_b", "agt_c", at(30)), storage.ErrConflict, "assign with wrong from")
	got, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get after conflicts")
	if got.AssigneeID != "agt_a" || !got.UpdatedAt.Equal(at(20)) {
		t.Errorf("after conflicts: assignee %q updated %v, want agt_a at %v", got.AssigneeID, got.UpdatedAt, at(20))
	}
	ok(t, s.SetAssignee(ctx(t), tn.org.ID, c.ID, "agt_a", "agt_b", at(40)), "transfer")
	ok(t, s.SetAssignee(ctx(t), tn.org.ID, c.ID, "agt_b", "", at(50)), "unassign")
	got, err = s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get after unassign")
	want := c
	want.UpdatedAt = at(50)
	same(t, got, want, "unassigned conversation")
	wantErr(t, s.SetAssignee(ctx(t), tn.org.ID, "cnv_missing", "", "agt_a", at(60)), storage.ErrNotFound, "assign unknown")
}

func testCloseConversation(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c.ID, at(20)), "close")
	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c.ID, at(30)), "close again")
	got, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get closed")
	if got.Status != storage.ConversationClosed || !got.ClosedAt.Equal(at(20)) {
		t.Errorf("closed twice: status %q closed at %v, want closed at %v", got.Status, got.ClosedAt, at(20))
	}
	wantErr(t, s.CloseConversation(ctx(t), tn.org.ID, "cnv_missing", at(20)), storage.ErrNotFound, "close unknown")
}

func testMarkRead(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	for i := 1; i <= 5; i++ {
		appendText(t, s, c, fmt.Sprint("c", i), "hello", 10+i)
	}
	for _, step := range []struct {
		side      storage.SenderKind
		seq, want int64
	}{
		{storage.SenderVisitor, 3, 3},
		{storage.SenderVisitor, 2, 3},  // never lowered
		{storage.SenderVisitor, 99, 5}, // capped at LastSeq
		{storage.SenderAgent, 0, 0},
		{storage.SenderAgent, 4, 4},
		{storage.SenderAgent, -1, 4},
	} {
		got, err := s.MarkRead(ctx(t), tn.org.ID, c.ID, step.side, step.seq)
		ok(t, err, "mark read")
		if got != step.want {
			t.Errorf("MarkRead(%s, %d) = %d, want %d", step.side, step.seq, got, step.want)
		}
	}
	got, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get conversation")
	if got.VisitorReadSeq != 5 || got.AgentReadSeq != 4 || got.LastSeq != 5 {
		t.Errorf("read seqs: visitor %d agent %d last %d, want 5, 4, 5", got.VisitorReadSeq, got.AgentReadSeq, got.LastSeq)
	}
	_, err = s.MarkRead(ctx(t), tn.org.ID, "cnv_missing", storage.SenderAgent, 1)
	wantErr(t, err, storage.ErrNotFound, "mark read unknown")
}
