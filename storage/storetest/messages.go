package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var messageCases = []testCase{
	{"AppendMessage", testAppendMessage},
	{"AppendMessageIdempotent", testAppendIdempotent},
	{"AppendMessageConcurrentSeqs", testConcurrentAppend},
	{"AppendMessageClosed", testAppendClosed},
	{"AppendMessageRacesClose", testAppendRacesClose},
	{"ListMessagesPaging", testListMessages},
	{"SearchMessages", testSearchMessages},
	{"SearchMessagesHostileInput", testSearchHostile},
}

func messageID(m storage.Message) string { return m.ID }

func testAppendMessage(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	for i, sec := range []int{20, 30} {
		in := message(c, fmt.Sprint("c", i+1), fmt.Sprint("message ", i+1), sec)
		got, created, err := s.AppendMessage(ctx(t), in)
		ok(t, err, "append")
		want := in
		want.Seq = int64(i + 1)
		if !created {
			t.Errorf("append %d: created = false", i+1)
		}
		same(t, got, want, "stored message")
	}
	conv, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get conversation")
	if conv.LastSeq != 2 || !conv.UpdatedAt.Equal(at(30)) {
		t.Errorf("conversation after 2 appends: LastSeq %d UpdatedAt %v, want 2 and %v", conv.LastSeq, conv.UpdatedAt, at(30))
	}
	list, err := s.ListMessages(ctx(t), tn.org.ID, c.ID, 0, 0)
	ok(t, err, "list")
	sameList(t, ids(list, messageID), []string{"msg_cnv_1_c1", "msg_cnv_1_c2"}, "listed messages")

	missing := c
	missing.ID = "cnv_missing"
	_, _, err = s.AppendMessage(ctx(t), message(missing, "c1", "lost", 40))
	wantErr(t, err, storage.ErrNotFound, "append to unknown conversation")
}

func testAppendIdempotent(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	first := appendText(t, s, c, "client-1", "original", 20)
	again := message(c, "client-1", "a retry with other text", 30)
	again.ID = "msg_retry"
	got, created, err := s.AppendMessage(ctx(t), again)
	ok(t, err, "append same client id")
	if created {
		t.Errorf("append same client id: created = true")
	}
	same(t, got, first, "returned message is the original")
	conv, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get conversation")
	if conv.LastSeq != 1 || !conv.UpdatedAt.Equal(at(20)) {
		t.Errorf("after a repeated append: LastSeq %d UpdatedAt %v, want 1 and %v", conv.LastSeq, conv.UpdatedAt, at(20))
	}
	second := appendText(t, s, c, "client-2", "next", 40)
	if second.Seq != 2 {
		t.Errorf("next append: seq %d, want 2", second.Seq)
	}
	list, err := s.ListMessages(ctx(t), tn.org.ID, c.ID, 0, 0)
	ok(t, err, "list")
	sameList(t, ids(list, messageID), []string{first.ID, second.ID}, "nothing stored by the repeat")

	// The same client id in another conversation is a different message.
	c2 := tn.conversation(t, s, "cnv_2", 10)
	other := appendText(t, s, c2, "client-1", "elsewhere", 50)
	if other.Seq != 1 {
		t.Errorf("same client id in another conversation: seq %d, want 1", other.Seq)
	}
}

// testConcurrentAppend: 8 writers × 25 appends get seqs 1..200 exactly.
func testConcurrentAppend(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	const writers, each = 8, 25
	var mu sync.Mutex
	var seqs []int64
	var errs []error
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				m := message(c, fmt.Sprintf("w%d-%d", w, i), "concurrent", 100+i)
				got, created, err := s.AppendMessage(ctx(t), m)
				mu.Lock()
				if err != nil || !created {
					errs = append(errs, fmt.Errorf("writer %d append %d: created %v err %v", w, i, created, err))
				}
				seqs = append(seqs, got.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("sorted seqs[%d] = %d, want %d (gap or duplicate)", i, seq, i+1)
		}
	}
	conv, err := s.GetConversation(ctx(t), tn.org.ID, c.ID)
	ok(t, err, "get conversation")
	if conv.LastSeq != writers*each {
		t.Errorf("LastSeq = %d, want %d", conv.LastSeq, writers*each)
	}
	list, err := s.ListMessages(ctx(t), tn.org.ID, c.ID, 0, 500)
	ok(t, err, "list")
	if len(list) != writers*each {
		t.Fatalf("listed %d messages, want %d", len(list), writers*each)
	}
	for i, m := range list {
		if m.Seq != int64(i+1) {
			t.Fatalf("list[%d].Seq = %d, want %d", i, m.Seq, i+1)
		}
	}
}

func testListMessages(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	const n = 102
	for i := 1; i <= n; i++ {
		appendText(t, s, c, fmt.Sprint("c", i), "hello", 10+i)
	}
	seqs := func(list []storage.Message) []int64 {
		out := make([]int64, len(list))
		for i, m := range list {
			out[i] = m.Seq
		}
		return out
	}
	for _, tc := range []struct {
		after      int64
		limit      int
		first, len int64
	}{
		{0, 5, 1, 5},
		{5, 5, 6, 5},
		{98, 10, 99, 4},
		{102, 10, 0, 0},
		{0, 0, 1, 100}, // default limit 100
		{0, -1, 1, 100},
		{1, 1000, 2, 101},
	} {
		list, err := s.ListMessages(ctx(t), tn.org.ID, c.ID, tc.after, tc.limit)
		ok(t, err, "list")
		var want []int64
		for i := range tc.len {
			want = append(want, tc.first+i)
		}
		sameList(t, seqs(list), want, fmt.Sprintf("ListMessages(after %d, limit %d) seqs", tc.after, tc.limit))
	}
}

func testSearchMessages(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "acme")
	b := newTenant(t, s, "beta")
	ca := a.conversation(t, s, "cnv_a", 10)
	cb := b.conversation(t, s, "cnv_b", 10)
	m1 := appendText(t, s, ca, "1", "The quick brown fox jumps", 20)
	m2 := appendText(t, s, ca, "2", "Quick thinking saves the day", 30)
	appendText(t, s, ca, "3", "A brown bear sleeps", 40)
	mb := appendText(t, s, cb, "1", "quick brown fox of another tenant", 50)

	for _, tc := range []struct {
		org, query string
		limit      int
		want       []string
	}{
		{a.org.ID, "quick brown", 0, []string{m1.ID}},
		{a.org.ID, "brown QUICK", 0, []string{m1.ID}},
		{a.org.ID, "QUICK", 0, []string{m2.ID, m1.ID}},
		{a.org.ID, "quick", 1, []string{m2.ID}},
		{a.org.ID, "quick, (brown)!", 0, []string{m1.ID}},
		{a.org.ID, "quick zebra", 0, nil},
		{a.org.ID, "tenant", 0, nil},
		{b.org.ID, "quick brown", 0, []string{mb.ID}},
		{b.org.ID, "thinking", 0, nil},
	} {
		list, err := s.SearchMessages(ctx(t), tc.org, tc.query, tc.limit)
		ok(t, err, "search "+tc.query)
		sameList(t, ids(list, messageID), tc.want, fmt.Sprintf("search %q in %s (limit %d)", tc.query, tc.org, tc.limit))
	}
}

// testSearchHostile: backend query syntax in the user's words is inert.
func testSearchHostile(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	m := appendText(t, s, c, "1", "hello world", 20)
	for _, q := range []string{
		`"foo OR (`, `hello" OR "zebra`, `zebra OR hello`, `hello NOT zebra`, `hello AND zebra`,
		`NEAR(hello zebra)`, `text:zebra`, `{text}: zebra`, `^zebra`, `zebra*`, `-hello zebra`,
		`' OR 1=1 --`, `"; DROP TABLE messages; --`, `\`, `"`, `(`, `*`, `)`, `$where: 1`, "\x00",
	} {
		list, err := s.SearchMessages(ctx(t), tn.org.ID, q, 0)
		if err != nil {
			t.Errorf("search %q: %v", q, err)
			continue
		}
		if len(list) != 0 {
			t.Errorf("search %q: got %v, want no match (a word is missing)", q, ids(list, messageID))
		}
	}
	for _, q := range []string{`hello*`, `(hello)`, `"hello"`, `hello:`, `+hello`, `hello;`} {
		list, err := s.SearchMessages(ctx(t), tn.org.ID, q, 0)
		ok(t, err, "search "+q)
		sameList(t, ids(list, messageID), []string{m.ID}, fmt.Sprintf("search %q", q))
	}
	list, err := s.SearchMessages(ctx(t), tn.org.ID, "hello world", 0)
	ok(t, err, "search after hostile queries")
	sameList(t, ids(list, messageID), []string{m.ID}, "messages intact")
}
