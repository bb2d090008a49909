package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// queued returns how many appends wait for a commit.
func (g *committer) queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending)
}

// waitQueued waits (as a deadlock guard, up to 10s) until n appends wait.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.gc.queued() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d appends queued, want %d", s.gc.queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// holdFirstBatch makes the first commit wait until release is closed, so
// that appends started meanwhile queue up behind it; it records batch sizes.
func holdFirstBatch(s *Store) (release chan struct{}, sizes func() []int) {
	release = make(chan struct{})
	var mu sync.Mutex
	var got []int
	s.gc.testHook = func(n int) {
		mu.Lock()
		got = append(got, n)
		first := len(got) == 1
		mu.Unlock()
		if first {
			<-release
		}
	}
	return release, func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), got...)
	}
}

type appendOutcome struct {
	stored  storage.Message
	created bool
	err     error
}

// appendQueued starts one append and waits until it has queued behind the
// held commit, so the batch order is the order of the calls.
func appendQueued(t *testing.T, s *Store, wg *sync.WaitGroup, m storage.Message, out *appendOutcome) {
	t.Helper()
	before := s.gc.queued()
	wg.Add(1)
	go func() {
		defer wg.Done()
		out.stored, out.created, out.err = s.AppendMessage(t.Context(), m)
	}()
	waitQueued(t, s, before+1)
}

func TestGroupCommitBatchesConcurrentAppends(t *testing.T) {
	s, path := openTemp(t)
	seedSearch(t, s)
	const convs, perConv = 20, 10
	seedConversations(t, s, convs)
	release, sizes := holdFirstBatch(s)

	var wg sync.WaitGroup
	first := make([]appendOutcome, 1)
	wg.Add(1)
	go func() { // the leader, held in its commit
		defer wg.Done()
		m := storage.Message{OrgID: "org_1", ConversationID: "cnv_1", ClientID: "lead",
			SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "first"}
		first[0].stored, first[0].created, first[0].err = s.AppendMessage(t.Context(), m)
	}()
	for len(sizes()) == 0 {
		time.Sleep(time.Millisecond)
	}
	out := make([]appendOutcome, convs*perConv)
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := storage.Message{OrgID: "org_1", ConversationID: fmt.Sprint("cnv_p", i%convs),
				ClientID: fmt.Sprint("c", i), SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: fmt.Sprint("m", i)}
			out[i].stored, out[i].created, out[i].err = s.AppendMessage(t.Context(), m)
		}()
	}
	waitQueued(t, s, len(out))
	close(release)
	wg.Wait()

	if first[0].err != nil || !first[0].created {
		t.Fatalf("leader: %v", first[0].err)
	}
	for i, o := range out {
		if o.err != nil || !o.created {
			t.Fatalf("append %d: created %v, %v", i, o.created, o.err)
		}
	}
	commits, appends := s.AppendCommits()
	n := int64(len(out) + 1)
	if appends != n || commits >= n || commits != 2 {
		t.Fatalf("%d appends in %d commits (batches %v); want %d in 2", appends, commits, sizes(), n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	reopened, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	checkConsecutive(t, reopened, convs, perConv, out)
}

// checkConsecutive checks every conversation holds seqs 1..perConv, each
// the message its append returned.
func checkConsecutive(t *testing.T, s *Store, convs, perConv int, out []appendOutcome) {
	t.Helper()
	byID := make(map[string]storage.Message, len(out))
	for _, o := range out {
		byID[o.stored.ID] = o.stored
	}
	for c := range convs {
		list, err := s.ListMessages(t.Context(), "org_1", fmt.Sprint("cnv_p", c), 0, 0)
		if err != nil || len(list) != perConv {
			t.Fatalf("cnv_p%d after reopen: %d messages, %v", c, len(list), err)
		}
		for i, m := range list {
			if m.Seq != int64(i+1) || byID[m.ID] != m {
				t.Fatalf("cnv_p%d: message %d is %+v, returned %+v", c, i, m, byID[m.ID])
			}
		}
	}
}

func TestGroupCommitItemFailureSparesTheBatch(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	seedSearch(t, s)
	msg := func(conv, clientID, id string) storage.Message {
		return storage.Message{ID: id, OrgID: "org_1", ConversationID: conv, ClientID: clientID,
			SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "t " + clientID}
	}
	existing, _, err := s.AppendMessage(t.Context(), msg("cnv_1", "c0", ""))
	if err != nil {
		t.Fatal(err)
	}
	release, sizes := holdFirstBatch(s)
	var wg sync.WaitGroup
	var lead appendOutcome
	wg.Add(1)
	go func() {
		defer wg.Done()
		lead.stored, lead.created, lead.err = s.AppendMessage(t.Context(), msg("cnv_1", "lead", ""))
	}()
	for len(sizes()) == 0 {
		time.Sleep(time.Millisecond)
	}
	out := make([]appendOutcome, 6)
	appendQueued(t, s, &wg, msg("cnv_1", "a", ""), &out[0])
	appendQueued(t, s, &wg, msg("cnv_missing", "b", ""), &out[1]) // unknown conversation
	appendQueued(t, s, &wg, msg("cnv_1", "dup", ""), &out[2])
	appendQueued(t, s, &wg, msg("cnv_1", "dup", ""), &out[3])        // same client id, same batch
	appendQueued(t, s, &wg, msg("cnv_1", "e", existing.ID), &out[4]) // fails after taking a seq
	appendQueued(t, s, &wg, msg("cnv_1", "f", ""), &out[5])
	close(release)
	wg.Wait()

	if got := sizes(); len(got) != 2 || got[1] != len(out) {
		t.Fatalf("batches %v, want [1 %d]", got, len(out))
	}
	if lead.err != nil || lead.stored.Seq != 2 {
		t.Fatalf("leader: seq %d, %v", lead.stored.Seq, lead.err)
	}
	wantSeq := map[int]int64{0: 3, 2: 4, 3: 4, 5: 5}
	for i, seq := range wantSeq {
		if out[i].err != nil || out[i].stored.Seq != seq {
			t.Fatalf("append %d: seq %d, %v; want seq %d", i, out[i].stored.Seq, out[i].err, seq)
		}
	}
	if !errors.Is(out[1].err, storage.ErrNotFound) {
		t.Fatalf("unknown conversation: %v, want ErrNotFound", out[1].err)
	}
	if !out[2].created || out[3].created || out[3].stored != out[2].stored {
		t.Fatalf("same client id in one batch: %+v then %+v", out[2], out[3])
	}
	if !errors.Is(out[4].err, storage.ErrConflict) {
		t.Fatalf("duplicate message id: %v, want ErrConflict", out[4].err)
	}
	list, err := s.ListMessages(t.Context(), "org_1", "cnv_1", 0, 0)
	if err != nil || len(list) != 5 || list[4] != out[5].stored {
		t.Fatalf("stored: %d messages, %v", len(list), err)
	}
}

func TestGroupCommitCancelledCallerSparesTheBatch(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	seedSearch(t, s)
	release, sizes := holdFirstBatch(s)
	var wg sync.WaitGroup
	var lead appendOutcome
	ctx, cancel := context.WithCancel(t.Context())
	wg.Add(1)
	go func() {
		defer wg.Done()
		m := storage.Message{OrgID: "org_1", ConversationID: "cnv_1", ClientID: "lead",
			SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "x"}
		lead.stored, lead.created, lead.err = s.AppendMessage(ctx, m)
	}()
	for len(sizes()) == 0 {
		time.Sleep(time.Millisecond)
	}
	var other appendOutcome
	appendQueued(t, s, &wg, storage.Message{OrgID: "org_1", ConversationID: "cnv_1", ClientID: "other",
		SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "y"}, &other)
	cancel() // the leader's caller gives up while its commit runs
	close(release)
	wg.Wait()
	if other.err != nil || other.stored.Seq == 0 {
		t.Fatalf("queued append after the leader's cancellation: %v", other.err)
	}
}
