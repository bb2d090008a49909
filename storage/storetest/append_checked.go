package storetest

import (
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var appendCheckedCases = []testCase{
	{"AppendCheckedRefusesClosedConversation", testAppendCheckedClosed},
	{"AppendCheckedRefusesWrongVisitor", testAppendCheckedWrongVisitor},
	{"AppendCheckedDuplicateReturnsOriginal", testAppendCheckedDuplicate},
	{"AppendCheckedReturnsConversation", testAppendCheckedConversation},
}

// appendChecked appends m with AppendMessageChecked and fails the test
// unless it created a message.
func appendChecked(t *testing.T, s storage.Store, m storage.Message) storage.Appended {
	t.Helper()
	res, err := s.AppendMessageChecked(ctx(t), m)
	ok(t, err, "append checked "+m.ClientID)
	if !res.Created {
		t.Fatalf("append checked %s: Created = false for a new client id", m.ClientID)
	}
	return res
}

// agentMessage returns a message of the tenant's owner for conversation c.
func (tn tenant) agentMessage(c storage.Conversation, clientID, text string, sec int) storage.Message {
	m := message(c, clientID, text, sec)
	m.SenderKind, m.SenderID = storage.SenderAgent, tn.owner.ID
	return m
}

// testAppendCheckedClosed: a closed conversation refuses the visitor and
// the agent with ErrConversationClosed and stores nothing, but another
// visitor learns nothing (ErrNotFound).
func testAppendCheckedClosed(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	appendChecked(t, s, message(c, "c1", "before the close", 20))
	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c.ID, at(30)), "close")

	res, err := s.AppendMessageChecked(ctx(t), message(c, "c2", "after the close", 40))
	wantErr(t, err, storage.ErrConversationClosed, "visitor append to a closed conversation")
	if res.Created {
		t.Errorf("append to a closed conversation: Created = true")
	}
	_, err = s.AppendMessageChecked(ctx(t), tn.agentMessage(c, "a1", "agent after the close", 41))
	wantErr(t, err, storage.ErrConversationClosed, "agent append to a closed conversation")
	stranger := message(c, "x1", "not mine", 42)
	stranger.SenderID = "vis_stranger"
	_, err = s.AppendMessageChecked(ctx(t), stranger)
	wantErr(t, err, storage.ErrNotFound, "another visitor's append to a closed conversation")
	wantMessageSeqs(t, s, c, 1)

	ok(t, s.ReopenConversation(ctx(t), tn.org.ID, c.ID, "", at(50)), "reopen")
	if res := appendChecked(t, s, message(c, "c2", "after the reopen", 51)); res.Message.Seq != 2 {
		t.Errorf("first append after reopen: seq %d, want 2", res.Message.Seq)
	}
}

// testAppendCheckedWrongVisitor: a visitor cannot send into another
// visitor's conversation of the same organisation, even with a client id
// stored there, nor anyone into another organisation's or a missing one;
// all are ErrNotFound and change nothing. An agent of the organisation
// may send.
func testAppendCheckedWrongVisitor(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	other := newTenant(t, s, "other")
	c := tn.conversation(t, s, "cnv_1", 10)
	first := appendChecked(t, s, message(c, "c1", "mine", 20))
	intruder := storage.Visitor{ID: "vis_acme_2", OrgID: tn.org.ID, WidgetID: tn.widget.ID,
		EmailIndex: emailIndex("acme-2"), CreatedAt: at(3), LastSeenAt: at(3)}
	ok(t, s.CreateVisitor(ctx(t), intruder), "create the second visitor")

	for _, clientID := range []string{"x1", "c1"} { // new, and the owner's
		m := message(c, clientID, "not my conversation", 30)
		m.ID, m.SenderID = "", intruder.ID
		res, err := s.AppendMessageChecked(ctx(t), m)
		wantErr(t, err, storage.ErrNotFound, "another visitor's append with client id "+clientID)
		if res.Created || res.Message.ID != "" {
			t.Errorf("another visitor's append with client id %s: got %+v", clientID, res)
		}
	}
	foreign := other.agentMessage(c, "o1", "wrong tenant", 31)
	foreign.OrgID = other.org.ID
	_, err := s.AppendMessageChecked(ctx(t), foreign)
	wantErr(t, err, storage.ErrNotFound, "agent append to another organisation's conversation")
	missing := message(c, "m1", "nowhere", 32)
	missing.ConversationID = "cnv_missing"
	_, err = s.AppendMessageChecked(ctx(t), missing)
	wantErr(t, err, storage.ErrNotFound, "append to a missing conversation")

	conv, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get conversation")
	if conv.LastSeq != 1 || conv.Preview != first.Conversation.Preview {
		t.Errorf("after refused appends: LastSeq %d Preview %q, want 1 and %q", conv.LastSeq, conv.Preview, first.Conversation.Preview)
	}
	wantMessageSeqs(t, s, c, 1)
	if res := appendChecked(t, s, tn.agentMessage(c, "a1", "the agent answers", 40)); res.Message.Seq != 2 {
		t.Errorf("agent append: seq %d, want 2", res.Message.Seq)
	}
}

// testAppendCheckedDuplicate: a repeated client id returns the message
// stored first with Created == false and the conversation as stored, and
// stores nothing, before and after a close.
func testAppendCheckedDuplicate(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	first := appendChecked(t, s, message(c, "c1", "the original", 20))
	check := func(when string, status storage.ConversationStatus) {
		t.Helper()
		repeat := message(c, "c1", "a resend with other text", 25)
		repeat.ID = ""
		res, err := s.AppendMessageChecked(ctx(t), repeat)
		ok(t, err, "repeat "+when)
		if res.Created {
			t.Errorf("repeat %s: Created = true", when)
		}
		same(t, res.Message, first.Message, "repeat "+when+" returns the original")
		if res.Conversation.ID != c.ID || res.Conversation.LastSeq != 1 || res.Conversation.Status != status {
			t.Errorf("repeat %s: conversation %s LastSeq %d Status %s, want %s 1 %s", when,
				res.Conversation.ID, res.Conversation.LastSeq, res.Conversation.Status, c.ID, status)
		}
		wantMessageSeqs(t, s, c, 1)
	}
	check("while open", storage.ConversationOpen)
	ok(t, s.CloseConversation(ctx(t), tn.org.ID, c.ID, at(30)), "close")
	check("after the close", storage.ConversationClosed)
}

// testAppendCheckedConversation: the returned conversation is the one
// stored after the append: LastSeq is the message's seq, with its preview,
// sender kind and time.
func testAppendCheckedConversation(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	appendChecked(t, s, message(c, "c1", "hello there", 20))
	text := "a second message, long enough that its preview is the text itself"
	res := appendChecked(t, s, tn.agentMessage(c, "a1", text, 30))
	got := res.Conversation
	if got.LastSeq != 2 || res.Message.Seq != 2 || got.Preview != storage.PreviewOf(text) ||
		got.LastSenderKind != storage.SenderAgent || !got.UpdatedAt.Equal(at(30)) || got.Status != storage.ConversationOpen {
		t.Errorf("returned conversation: LastSeq %d (message %d) Preview %q LastSenderKind %q UpdatedAt %v Status %s",
			got.LastSeq, res.Message.Seq, got.Preview, got.LastSenderKind, got.UpdatedAt, got.Status)
	}
	stored, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get conversation")
	same(t, got, stored, "returned conversation is the stored one")
}
