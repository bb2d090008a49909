package hub

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

func TestJoinReplaysTheGapWhileMessagesAreSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{ReplayPageSize: 7})
	v := e.org.visitor()
	c := e.start(t, v)
	const before, during = 30, 60
	for i := range before {
		e.send(t, v, c.ID, fmt.Sprint("pre", i))
	}
	started := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range during {
			if i == 5 {
				close(started)
			}
			e.send(t, e.org.agents[0], c.ID, fmt.Sprint("live", i))
		}
	})
	<-started
	afters := []int64{0, 1, 13, before, before + 2, 1000}
	recs := make([]*recorder, len(afters))
	var joins sync.WaitGroup
	for i, after := range afters {
		joins.Go(func() {
			rec := &recorder{}
			m, err := e.hub.Join(context.Background(), v, c.ID, after, rec)
			if err != nil {
				t.Errorf("join after %d: %v", after, err)
				return
			}
			defer t.Cleanup(m.Leave)
			// By the time Join returns, the gap up to LastSeq is delivered.
			got := int64(len(rec.all()))
			if m.LastSeq() < min(after, before+5) || (after <= before && got < m.LastSeq()-after) {
				t.Errorf("join after %d: LastSeq %d with %d frames delivered", after, m.LastSeq(), got)
			}
			recs[i] = rec
		})
	}
	joins.Wait()
	wg.Wait()
	for i, rec := range recs {
		if rec == nil {
			continue
		}
		from := min(afters[i], int64(before+5)) + 1 // afterSeq is clamped to the stored last seq
		got := rec.seqs(t)
		if afters[i] > before+5 && len(got) > 0 {
			from = got[0] // joined at a last seq between before+5 and the end
		}
		wantSeqs(t, fmt.Sprintf("joined after %d", afters[i]), got, from, before+during)
	}
}

func TestJoinReturnsExactGapAndLastSeq(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{ReplayPageSize: 4})
	v := e.org.visitor()
	c := e.start(t, v)
	for i := range 10 {
		e.send(t, v, c.ID, fmt.Sprint(i))
	}
	rec, m := e.join(t, e.org.agents[0], c.ID, 6)
	wantSeqs(t, "replay", rec.seqs(t), 7, 10)
	if m.LastSeq() != 10 {
		t.Errorf("LastSeq = %d, want 10", m.LastSeq())
	}
	e.send(t, v, c.ID, "next")
	wantSeqs(t, "after replay", rec.seqs(t), 7, 11)

	rec, m = e.join(t, e.org.agents[0], c.ID, 99)
	if len(rec.all()) != 0 || m.LastSeq() != 11 {
		t.Errorf("join beyond the end: %d frames, LastSeq %d; want 0 frames, LastSeq 11", len(rec.all()), m.LastSeq())
	}
	_, err := e.hub.Join(context.Background(), v, c.ID, -1, &recorder{})
	wantErr(t, "negative afterSeq", err, ErrInvalid)
	_, err = e.hub.Join(context.Background(), v, c.ID, 0, nil)
	wantErr(t, "nil subscriber", err, ErrInvalid)
}

// hookStore runs a hook after the first ListMessages call.
type hookStore struct {
	Store
	once sync.Once
	hook func()
}

func (s *hookStore) ListMessages(ctx context.Context, orgID, id string, after int64, limit int) ([]storage.Message, error) {
	list, err := s.Store.ListMessages(ctx, orgID, id, after, limit)
	s.once.Do(s.hook)
	return list, err
}

func TestJoinRecoversFromPendingOverflow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	v := e.org.visitor()
	c := e.start(t, v)
	for i := range 3 {
		e.send(t, v, c.ID, fmt.Sprint("pre", i))
	}
	hs := &hookStore{Store: e.store}
	h := New(hs, e.codec, Options{})
	h.maxPending = 4
	// While the joiner replays, ten messages arrive live: more than its
	// pending buffer holds, so it must fetch them from the store instead.
	hs.hook = func() {
		for i := range 10 {
			if _, _, err := h.Send(context.Background(), v, c.ID, fmt.Sprint("live", i), "x"); err != nil {
				t.Errorf("send: %v", err)
			}
		}
	}
	rec := &recorder{}
	m, err := h.Join(context.Background(), e.org.agents[0], c.ID, 0, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Leave()
	wantSeqs(t, "joiner", rec.seqs(t), 1, 13)
	if m.LastSeq() != 13 {
		t.Errorf("LastSeq = %d, want 13", m.LastSeq())
	}
}

func TestMemberBuffersWhileSyncingAndDropsSeen(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	m := &member{sub: rec, maxPending: 8, syncing: true, last: 2}
	m.deliver(Frame{Seq: 4})
	m.deliver(Frame{}) // non-message frame passes through
	m.replayed(Frame{Seq: 3})
	m.replayed(Frame{Seq: 4})
	if got := len(rec.all()); got != 2 {
		t.Fatalf("delivered %d frames during the replay, want 2 (replayed only)", got)
	}
	if !m.finishSync() {
		t.Fatal("finishSync reported an overflow")
	}
	m.deliver(Frame{Seq: 2})
	m.deliver(Frame{Seq: 5})
	var seqs []int64
	for _, f := range rec.all() {
		seqs = append(seqs, f.Seq)
	}
	if fmt.Sprint(seqs) != "[3 4 0 5]" {
		t.Errorf("delivered seqs %v, want [3 4 0 5]", seqs)
	}
	m.close()
	m.deliver(Frame{Seq: 6})
	if len(rec.all()) != 4 {
		t.Error("delivered after close")
	}
}
