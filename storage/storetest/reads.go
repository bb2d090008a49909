package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var readCases = []testCase{
	{"ReopenConversation", testReopenConversation},
	{"ReopenConversationConcurrent", testReopenConcurrent},
	{"MarkAgentRead", testMarkAgentRead},
	{"MarkAgentReadConcurrent", testMarkAgentReadConcurrent},
	{"AgentReadSeqs", testAgentReadSeqs},
}

func testReopenConversation(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	ok(t, s.ReopenConversation(ctx(t), tn.org.ID, c.ID, "agt_x", at(15)), "reopen an open conversation")
	got, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get after a no-op reopen")
	same(t, got, c, "an open conversation is left as it is")

	ok(t, s.SetAssignee(ctx(t), tn.org.ID, c.ID, "", tn.owner.ID, at(18)), "assign")
	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c.ID, at(20)), "close")
	ok(t, s.ReopenConversation(ctx(t), tn.org.ID, c.ID, "agt_x", at(30)), "reopen")
	want := c
	want.AssigneeID, want.UpdatedAt = "agt_x", at(30)
	got, err = s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get reopened")
	same(t, got, want, "reopened: open, ClosedAt zero, new assignee, UpdatedAt")
	open, err := s.ListConversations(ctx(t), tn.org.ID, storage.ConversationFilter{Status: storage.ConversationOpen})
	ok(t, err, "list open")
	sameList(t, ids(open, conversationID), []string{c.ID}, "open conversations after the reopen")

	ok(t, s.ReopenConversation(ctx(t), tn.org.ID, c.ID, "agt_y", at(40)), "reopen again")
	got, err = s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get after reopening twice")
	same(t, got, want, "a second reopen changes nothing")

	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c.ID, at(50)), "close again")
	ok(t, s.ReopenConversation(ctx(t), tn.org.ID, c.ID, "", at(60)), "reopen unassigned")
	got, err = s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get reopened unassigned")
	want.AssigneeID, want.UpdatedAt = "", at(60)
	same(t, got, want, "reopened with no assignee")
	wantErr(t, s.ReopenConversation(ctx(t), tn.org.ID, "cnv_missing", "agt_x", at(70)), storage.ErrNotFound, "reopen unknown")
}

// testReopenConcurrent: of concurrent reopens exactly one wins, whole.
func testReopenConcurrent(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c.ID, at(20)), "close")
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := s.ReopenConversation(ctx(t), tn.org.ID, c.ID, fmt.Sprint("agt_", i), at(100+i))
			if err != nil {
				t.Errorf("reopen %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	got, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get")
	var winner int
	if _, err := fmt.Sscanf(got.AssigneeID, "agt_%d", &winner); err != nil || got.Status != storage.ConversationOpen {
		t.Fatalf("after concurrent reopens: assignee %q status %q", got.AssigneeID, got.Status)
	}
	if !got.UpdatedAt.Equal(at(100+winner)) || !got.ClosedAt.IsZero() {
		t.Errorf("assignee %s with UpdatedAt %v ClosedAt %v: not one reopen's write", got.AssigneeID, got.UpdatedAt, got.ClosedAt)
	}
}

// markRead calls MarkAgentRead and checks the returned mark.
func markRead(t *testing.T, s storage.Store, c storage.Conversation, agent string, seq, want int64) {
	t.Helper()
	got, err := s.MarkAgentRead(ctx(t), c.OrgID, c.ID, agent, seq)
	ok(t, err, fmt.Sprintf("MarkAgentRead(%s, %d)", agent, seq))
	if got != want {
		t.Errorf("MarkAgentRead(%s, %s, %d) = %d, want %d", c.ID, agent, seq, got, want)
	}
}

// agentSide returns the conversation's AgentReadSeq.
func agentSide(t *testing.T, s storage.Store, c storage.Conversation) int64 {
	t.Helper()
	got, err := s.GetConversation(ctx(t), c.OrgID, c.ID)
	ok(t, err, "get conversation")
	return got.AgentReadSeq
}

func testMarkAgentRead(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	for i := 1; i <= 5; i++ {
		appendText(t, s, c, fmt.Sprint("c", i), "hello", 10+i)
	}
	markRead(t, s, c, "agt_a", 3, 3)
	if side := agentSide(t, s, c); side != 3 {
		t.Errorf("AgentReadSeq after agt_a read 3 = %d, want 3", side)
	}
	markRead(t, s, c, "agt_a", 2, 3)  // never lowered
	markRead(t, s, c, "agt_a", 99, 5) // capped at LastSeq
	markRead(t, s, c, "agt_b", -1, 0) // negative counts as 0
	markRead(t, s, c, "agt_b", 2, 2)  // another agent's mark is its own
	if side := agentSide(t, s, c); side != 5 {
		t.Errorf("AgentReadSeq after marks 5 and 2 = %d, want 5 (never lowered)", side)
	}
	got, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get conversation")
	if got.VisitorReadSeq != 0 || got.LastSeq != 5 {
		t.Errorf("visitor side %d, LastSeq %d: want 0 and 5 untouched", got.VisitorReadSeq, got.LastSeq)
	}
	marks, err := s.AgentReadSeqs(ctx(t), tn.org.ID, "agt_b", []string{c.ID})
	ok(t, err, "read seqs of agt_b")
	same(t, marks, map[string]int64{c.ID: 2}, "agt_b's own mark")

	empty := tn.conversation(t, s, "cnv_empty", 20)
	markRead(t, s, empty, "agt_a", 10, 0)
	_, err = s.MarkAgentRead(ctx(t), tn.org.ID, "cnv_missing", "agt_a", 1)
	wantErr(t, err, storage.ErrNotFound, "mark an unknown conversation read")
	marks, err = s.AgentReadSeqs(ctx(t), tn.org.ID, "agt_a", []string{"cnv_missing"})
	ok(t, err, "read seqs of an unknown conversation")
	same(t, marks, map[string]int64{}, "no mark stored for an unknown conversation")
}

// testMarkAgentReadConcurrent: concurrent marks end at the maximum, each
// agent's own and the agent side's.
func testMarkAgentReadConcurrent(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	for i := 1; i <= 20; i++ {
		appendText(t, s, c, fmt.Sprint("c", i), "hello", 10+i)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			agent, seq := fmt.Sprint("agt_", i%2), int64(i+1) // agt_0 up to 15, agt_1 up to 16
			if _, err := s.MarkAgentRead(ctx(t), tn.org.ID, c.ID, agent, seq); err != nil {
				t.Errorf("mark %s %d: %v", agent, seq, err)
			}
		})
	}
	wg.Wait()
	for agent, want := range map[string]int64{"agt_0": 15, "agt_1": 16} {
		marks, err := s.AgentReadSeqs(ctx(t), tn.org.ID, agent, []string{c.ID})
		ok(t, err, "read seqs of "+agent)
		same(t, marks, map[string]int64{c.ID: want}, agent+"'s mark after concurrent marks")
	}
	if side := agentSide(t, s, c); side != 16 {
		t.Errorf("AgentReadSeq after concurrent marks = %d, want 16", side)
	}
}

func testAgentReadSeqs(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c1, c2 := tn.conversation(t, s, "cnv_1", 10), tn.conversation(t, s, "cnv_2", 11)
	tn.conversation(t, s, "cnv_3", 12)
	for _, c := range []storage.Conversation{c1, c2} {
		for i := 1; i <= 3; i++ {
			appendText(t, s, c, fmt.Sprint("c", i), "hello", 20+i)
		}
	}
	markRead(t, s, c1, "agt_a", 2, 2)
	markRead(t, s, c2, "agt_a", 3, 3)
	markRead(t, s, c1, "agt_b", 1, 1)

	marks, err := s.AgentReadSeqs(ctx(t), tn.org.ID, "agt_a", []string{"cnv_1", "cnv_2", "cnv_3", "cnv_missing", "cnv_1"})
	ok(t, err, "read seqs")
	same(t, marks, map[string]int64{"cnv_1": 2, "cnv_2": 3}, "agt_a's marks (unmarked ones absent)")
	marks, err = s.AgentReadSeqs(ctx(t), tn.org.ID, "agt_nobody", []string{"cnv_1"})
	ok(t, err, "read seqs of an agent without marks")
	same(t, marks, map[string]int64{}, "an agent without marks")
	for _, list := range [][]string{nil, {}} {
		marks, err = s.AgentReadSeqs(ctx(t), tn.org.ID, "agt_a", list)
		ok(t, err, "read seqs of no conversations")
		if marks == nil || len(marks) != 0 {
			t.Errorf("AgentReadSeqs(%#v) = %#v, want an empty map", list, marks)
		}
	}

	many := make([]string, storage.MaxAgentReadIDs)
	for i := range many {
		many[i] = fmt.Sprintf("cnv_%d", i+1) // includes cnv_1 and cnv_2
	}
	marks, err = s.AgentReadSeqs(ctx(t), tn.org.ID, "agt_a", many)
	ok(t, err, fmt.Sprintf("read seqs of %d conversations", len(many)))
	same(t, marks, map[string]int64{"cnv_1": 2, "cnv_2": 3}, "marks among the most ids allowed")
	if _, err := s.AgentReadSeqs(ctx(t), tn.org.ID, "agt_a", append(many, "cnv_x")); err == nil {
		t.Errorf("AgentReadSeqs of %d ids: no error, want one over the cap", len(many)+1)
	}
}
