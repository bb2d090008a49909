package mongo

import (
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// conversationAt returns the conversation as GetConversation reports it.
func conversationAt(t *testing.T, s *Store, c storage.Conversation) storage.Conversation {
	t.Helper()
	got, err := s.GetConversation(t.Context(), c.OrgID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestOlderHintNeverOverwritesNewer: an append of another node that
// finishes after a newer one (its hint update arriving late) leaves the
// newer message's preview.
func TestOlderHintNeverOverwritesNewer(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	c := seedConversation(t, s)
	var stored []storage.Message
	for i := 1; i <= 2; i++ {
		m, _, err := s.AppendMessage(t.Context(), textMessage(c, fmt.Sprint("c", i), 10*i))
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, m)
	}
	if err := s.raiseHint(t.Context(), stored[0]); err != nil {
		t.Fatalf("late hint update: %v", err)
	}
	got := conversationAt(t, s, c)
	if got.LastSeq != 2 || got.Preview != "hello c2" || !got.UpdatedAt.Equal(at(20)) {
		t.Errorf("after a late hint: LastSeq %d preview %q updated %v, want 2, %q, %v",
			got.LastSeq, got.Preview, got.UpdatedAt, "hello c2", at(20))
	}
}

// TestInterruptedAppendPreviewIsRepaired: an append that died before its
// hint update leaves the preview behind; GetConversation repairs it with
// the hint.
func TestInterruptedAppendPreviewIsRepaired(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	c := seedConversation(t, s)
	if _, _, err := s.AppendMessage(t.Context(), textMessage(c, "c1", 10)); err != nil {
		t.Fatal(err)
	}
	crashed := textMessage(c, "c2", 20)
	crashed.ID, crashed.Seq, crashed.Text = "msg_crashed", 2, "  an   orphan\n"
	crashed.SenderKind, crashed.SenderID = storage.SenderAgent, "agt_1"
	if _, err := s.coll(collMessages).InsertOne(t.Context(), newMessageDoc(crashed)); err != nil {
		t.Fatal(err)
	}
	for range 2 { // repaired, then read as stored
		got := conversationAt(t, s, c)
		if got.LastSeq != 2 || got.Preview != "an orphan" || got.LastSenderKind != storage.SenderAgent {
			t.Errorf("after the crash: LastSeq %d preview %q kind %q, want 2, %q, agent",
				got.LastSeq, got.Preview, got.LastSenderKind, "an orphan")
		}
	}
	list, err := s.ListConversations(t.Context(), c.OrgID, storage.ConversationFilter{})
	if err != nil || len(list) != 1 || list[0].Preview != "an orphan" {
		t.Errorf("ListConversations after the repair: %+v, %v", list, err)
	}
}

func TestAgentReadKeyIsUnambiguous(t *testing.T) {
	seen := map[string][2]string{}
	for _, p := range [][2]string{{"a:b", "c"}, {"a", "b:c"}, {"ab", "c"}, {"a", "bc"}, {"", "abc"}, {"abc", ""}} {
		k := agentReadKey(p[0], p[1])
		if q, dup := seen[k]; dup {
			t.Errorf("agentReadKey(%q, %q) = agentReadKey(%q, %q) = %q", p[0], p[1], q[0], q[1], k)
		}
		seen[k] = p
	}
}
