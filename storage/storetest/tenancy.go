package storetest

import (
	"errors"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var tenancyCases = []testCase{
	{"TenantIsolationReads", testTenantReads},
	{"TenantIsolationWrites", testTenantWrites},
	{"TenantIsolationMessages", testTenantMessages},
}

// twoTenants stores tenants a and b, each with one conversation holding one
// message, and returns b's conversation and message.
func twoTenants(t *testing.T, s storage.Store) (a, b tenant, cb storage.Conversation, mb storage.Message) {
	t.Helper()
	a, b = newTenant(t, s, "acme"), newTenant(t, s, "beta")
	appendText(t, s, a.conversation(t, s, "cnv_a", 10), "1", "acme secret plans", 20)
	cb = b.conversation(t, s, "cnv_b", 10)
	mb = appendText(t, s, cb, "1", "beta secret plans", 20)
	ok(t, s.CreateSession(ctx(t), agentSession(b, "ses_b", 30)), "create b session")
	return a, b, cb, mb
}

func testTenantReads(t *testing.T, s storage.Store) {
	a, b, cb, _ := twoTenants(t, s)
	_, err := s.GetAgent(ctx(t), a.org.ID, b.owner.ID)
	wantErr(t, err, storage.ErrNotFound, "GetAgent of another org")
	_, err = s.GetWidget(ctx(t), a.org.ID, b.widget.ID)
	wantErr(t, err, storage.ErrNotFound, "GetWidget of another org")
	_, err = s.GetVisitor(ctx(t), a.org.ID, b.visitor.ID)
	wantErr(t, err, storage.ErrNotFound, "GetVisitor of another org")
	_, err = s.GetConversation(ctx(t), a.org.ID, cb.ID)
	wantErr(t, err, storage.ErrNotFound, "GetConversation of another org")

	agents, err := s.ListAgents(ctx(t), a.org.ID)
	ok(t, err, "ListAgents")
	sameList(t, ids(agents, func(x storage.Agent) string { return x.ID }), []string{a.owner.ID}, "ListAgents")
	widgets, err := s.ListWidgets(ctx(t), a.org.ID)
	ok(t, err, "ListWidgets")
	sameList(t, ids(widgets, func(x storage.Widget) string { return x.ID }), []string{a.widget.ID}, "ListWidgets")
	convs, err := s.ListConversations(ctx(t), a.org.ID, storage.ConversationFilter{})
	ok(t, err, "ListConversations")
	sameList(t, ids(convs, conversationID), []string{"cnv_a"}, "ListConversations")
	convs, err = s.ListConversations(ctx(t), a.org.ID, storage.ConversationFilter{VisitorID: b.visitor.ID})
	ok(t, err, "ListConversations by another org's visitor")
	if len(convs) != 0 {
		t.Errorf("ListConversations by another org's visitor: got %v", ids(convs, conversationID))
	}
	sessions, err := s.ListSessions(ctx(t), a.org.ID, storage.SubjectAgent, b.owner.ID)
	ok(t, err, "ListSessions")
	if len(sessions) != 0 {
		t.Errorf("ListSessions of another org's agent: got %d sessions", len(sessions))
	}
}

func testTenantWrites(t *testing.T, s storage.Store) {
	a, b, cb, _ := twoTenants(t, s)
	wantErr(t, s.SetAgentRole(ctx(t), a.org.ID, b.owner.ID, storage.RoleAgent), storage.ErrNotFound, "SetAgentRole")
	wantErr(t, s.SetAgentPasswordHash(ctx(t), a.org.ID, b.owner.ID, "evil"), storage.ErrNotFound, "SetAgentPasswordHash")
	owner, err := s.GetAgent(ctx(t), b.org.ID, b.owner.ID)
	ok(t, err, "get b owner")
	same(t, owner, b.owner, "b owner untouched")

	v := b.visitor
	v.OrgID, v.Name = a.org.ID, "evil"
	wantErr(t, s.UpdateVisitor(ctx(t), v), storage.ErrNotFound, "UpdateVisitor")
	visitor, err := s.GetVisitor(ctx(t), b.org.ID, b.visitor.ID)
	ok(t, err, "get b visitor")
	same(t, visitor, b.visitor, "b visitor untouched")

	wantErr(t, s.SetAssignee(ctx(t), a.org.ID, cb.ID, "", a.owner.ID, at(90)), storage.ErrNotFound, "SetAssignee")
	wantErr(t, s.CloseConversation(ctx(t), a.org.ID, cb.ID, at(90)), storage.ErrNotFound, "CloseConversation")
	_, err = s.MarkRead(ctx(t), a.org.ID, cb.ID, storage.SenderAgent, 1)
	wantErr(t, err, storage.ErrNotFound, "MarkRead")
	_, err = s.MarkAgentRead(ctx(t), a.org.ID, cb.ID, a.owner.ID, 1)
	wantErr(t, err, storage.ErrNotFound, "MarkAgentRead")
	conv, err := s.GetConversation(ctx(t), b.org.ID, cb.ID)
	ok(t, err, "get b conversation")
	want := cb
	want.LastSeq, want.UpdatedAt = 1, at(20)
	want.Preview, want.LastSenderKind = "beta secret plans", storage.SenderVisitor
	same(t, conv, want, "b conversation untouched")
	marks, err := s.AgentReadSeqs(ctx(t), b.org.ID, a.owner.ID, []string{cb.ID})
	ok(t, err, "AgentReadSeqs in b")
	same(t, marks, map[string]int64{}, "no mark stored by a refused MarkAgentRead")

	ok(t, s.CloseConversation(ctx(t), b.org.ID, cb.ID, at(30)), "close b conversation")
	wantErr(t, s.ReopenConversation(ctx(t), a.org.ID, cb.ID, a.owner.ID, at(90)), storage.ErrNotFound, "ReopenConversation")
	conv, err = s.GetConversation(ctx(t), b.org.ID, cb.ID)
	ok(t, err, "get closed b conversation")
	if conv.Status != storage.ConversationClosed || conv.AssigneeID != "" {
		t.Errorf("b conversation after a refused reopen: status %q assignee %q", conv.Status, conv.AssigneeID)
	}

	_, err = s.MarkAgentRead(ctx(t), b.org.ID, cb.ID, b.owner.ID, 1)
	ok(t, err, "MarkAgentRead in b")
	marks, err = s.AgentReadSeqs(ctx(t), a.org.ID, b.owner.ID, []string{cb.ID})
	ok(t, err, "AgentReadSeqs from a")
	same(t, marks, map[string]int64{}, "AgentReadSeqs never returns another org's marks")
}

func testTenantMessages(t *testing.T, s storage.Store) {
	a, b, cb, mb := twoTenants(t, s)
	forged := message(cb, "2", "injected", 90)
	forged.OrgID = a.org.ID
	_, _, err := s.AppendMessage(ctx(t), forged)
	wantErr(t, err, storage.ErrNotFound, "AppendMessage into another org's conversation")
	replay := message(cb, mb.ClientID, "replay", 90) // existing client id
	replay.OrgID = a.org.ID
	got, _, err := s.AppendMessage(ctx(t), replay)
	wantErr(t, err, storage.ErrNotFound, "AppendMessage with another org's client id")
	if got.Text != "" {
		t.Errorf("AppendMessage leaked another org's message: %q", got.Text)
	}

	list, err := s.ListMessages(ctx(t), a.org.ID, cb.ID, 0, 0)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("ListMessages of another org: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("ListMessages of another org's conversation: got %d messages", len(list))
	}
	found, err := s.SearchMessages(ctx(t), a.org.ID, "beta secret", 0)
	ok(t, err, "SearchMessages")
	if len(found) != 0 {
		t.Errorf("SearchMessages found another org's messages: %v", ids(found, messageID))
	}
	found, err = s.SearchMessages(ctx(t), b.org.ID, "secret plans", 0)
	ok(t, err, "SearchMessages own org")
	sameList(t, ids(found, messageID), []string{mb.ID}, "own org search")

	own, err := s.ListMessages(ctx(t), b.org.ID, cb.ID, 0, 0)
	ok(t, err, "ListMessages own org")
	same(t, own, []storage.Message{mb}, "b messages untouched")
}
