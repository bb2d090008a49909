package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var previewCases = []testCase{
	{"AppendMessageSetsPreview", testAppendSetsPreview},
	{"AppendMessagePreviewIsNewest", testPreviewIsNewest},
}

// checkDescribes fails unless GetConversation and ListConversations both
// report conversation id with the given preview and sender kind.
func checkDescribes(t *testing.T, s storage.Store, orgID, id, preview string, kind storage.SenderKind, what string) storage.Conversation {
	t.Helper()
	got, err := s.GetConversation(ctx(t), orgID, id)
	ok(t, err, what+": get conversation")
	if got.Preview != preview || got.LastSenderKind != kind {
		t.Errorf("%s: GetConversation preview %q kind %q, want %q and %q", what, got.Preview, got.LastSenderKind, preview, kind)
	}
	list, err := s.ListConversations(ctx(t), orgID, storage.ConversationFilter{})
	ok(t, err, what+": list conversations")
	for _, c := range list {
		if c.ID == id && (c.Preview != preview || c.LastSenderKind != kind) {
			t.Errorf("%s: ListConversations preview %q kind %q, want %q and %q", what, c.Preview, c.LastSenderKind, preview, kind)
		}
	}
	return got
}

func testAppendSetsPreview(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	checkDescribes(t, s, tn.org.ID, c.ID, "", "", "empty conversation")

	appendText(t, s, c, "v1", "  Hello,\n\n  I need\thelp  ", 20)
	checkDescribes(t, s, tn.org.ID, c.ID, "Hello, I need help", storage.SenderVisitor, "after a visitor message")

	long := strings.Repeat("Grüße aus Köln 東京 😀 ", 20)
	reply := message(c, "a1", long, 30)
	reply.SenderKind, reply.SenderID = storage.SenderAgent, tn.owner.ID
	_, created, err := s.AppendMessage(ctx(t), reply)
	ok(t, err, "append agent reply")
	if !created {
		t.Fatal("append agent reply: created = false")
	}
	want := storage.PreviewOf(long)
	if !strings.HasSuffix(want, "…") {
		t.Fatalf("test text too short to be cut: %q", want)
	}
	before := checkDescribes(t, s, tn.org.ID, c.ID, want, storage.SenderAgent, "after a long agent reply")
	if before.LastSeq != 2 || !before.UpdatedAt.Equal(at(30)) {
		t.Errorf("after the reply: LastSeq %d UpdatedAt %v, want 2 and %v", before.LastSeq, before.UpdatedAt, at(30))
	}

	// A repeated client id changes nothing, preview and sender included.
	again := message(c, "v1", "a different text", 40)
	again.ID = "msg_again"
	_, created, err = s.AppendMessage(ctx(t), again)
	ok(t, err, "append with a repeated client id")
	if created {
		t.Error("append with a repeated client id: created = true")
	}
	after, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get after the repeat")
	same(t, after, before, "conversation after a repeated client id")
}

// testPreviewIsNewest: after concurrent appends the conversation describes
// the message with the highest sequence number.
func testPreviewIsNewest(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	const writers, each = 4, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				m := message(c, fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf("writer %d says %d", w, i), 20+i)
				if w%2 == 1 {
					m.SenderKind, m.SenderID = storage.SenderAgent, tn.owner.ID
				}
				if _, _, err := s.AppendMessage(ctx(t), m); err != nil {
					t.Errorf("append %s: %v", m.ClientID, err)
				}
			}
		})
	}
	wg.Wait()
	list, err := s.ListMessages(ctx(t), tn.org.ID, c.ID, writers*each-1, 0)
	ok(t, err, "list the newest message")
	if len(list) != 1 {
		t.Fatalf("newest message: got %d messages, want 1", len(list))
	}
	newest := list[0]
	got := checkDescribes(t, s, tn.org.ID, c.ID, storage.PreviewOf(newest.Text), newest.SenderKind, "after concurrent appends")
	if got.LastSeq != writers*each {
		t.Errorf("LastSeq = %d, want %d", got.LastSeq, writers*each)
	}
}
