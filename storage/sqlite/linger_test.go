package sqlite

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

func TestLingerForLoneAppendIsZero(t *testing.T) {
	for _, in := range []lingerInput{
		{queued: 1, prevBatch: 0},
		{queued: 1, prevBatch: 1, gap: time.Microsecond, lastGap: time.Microsecond, commit: time.Millisecond},
	} {
		if p := lingerFor(in); p != (lingerPlan{}) {
			t.Errorf("lingerFor(%+v) = %+v, want no linger", in, p)
		}
	}
}

func TestLingerForPolicy(t *testing.T) {
	us := time.Microsecond
	tests := []struct {
		name string
		in   lingerInput
		want lingerPlan
	}{
		{"after a batch: waits for the arrivals the bound brings",
			lingerInput{queued: 1, prevBatch: 3, gap: 100 * us, lastGap: 100 * us, commit: time.Millisecond},
			lingerPlan{wait: 500 * us, more: 5}},
		{"others queued: waits up to the target",
			lingerInput{queued: 12, prevBatch: 1, gap: 10 * us, lastGap: 10 * us, commit: time.Millisecond},
			lingerPlan{wait: 40 * us, more: 4}},
		{"a commit shorter than maxLinger bounds the wait",
			lingerInput{queued: 2, prevBatch: 2, gap: 50 * us, lastGap: 50 * us, commit: 200 * us},
			lingerPlan{wait: 200 * us, more: 4}},
		{"target reached: commits at once",
			lingerInput{queued: lingerTarget, prevBatch: 30, gap: us, lastGap: us, commit: time.Millisecond},
			lingerPlan{}},
		{"arrivals sparser than the bound: no wait",
			lingerInput{queued: 2, prevBatch: 4, gap: 2 * time.Millisecond, lastGap: 100 * us, commit: time.Millisecond},
			lingerPlan{}},
		{"latest gap long (load just stopped): no wait",
			lingerInput{queued: 1, prevBatch: 8, gap: 50 * us, lastGap: 20 * time.Millisecond, commit: time.Millisecond},
			lingerPlan{}},
		{"backing off after two fruitless lingers",
			lingerInput{queued: 2, prevBatch: 2, gap: 50 * us, lastGap: 50 * us, commit: time.Millisecond, misses: 2, sinceMiss: 3},
			lingerPlan{}},
		{"trying again after the back-off",
			lingerInput{queued: 2, prevBatch: 2, gap: 50 * us, lastGap: 50 * us, commit: time.Millisecond, misses: 2, sinceMiss: 4},
			lingerPlan{wait: 500 * us, more: 10}},
		{"no rate known yet: no wait",
			lingerInput{queued: 3, prevBatch: 0, commit: time.Millisecond},
			lingerPlan{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lingerFor(tt.in)
			if got != tt.want {
				t.Fatalf("lingerFor(%+v) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.wait > maxLinger {
				t.Fatalf("wait %v over maxLinger", got.wait)
			}
		})
	}
}

func TestEWMA(t *testing.T) {
	if got := ewma(0, 80); got != 80 {
		t.Fatalf("first sample: %v", got)
	}
	if got := ewma(80, 160); got != 90 {
		t.Fatalf("ewma(80, 160) = %v, want 90", got)
	}
}

func TestOnCommitReportsEachBatch(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	seedSearch(t, s)
	seedConversations(t, s, 8)
	var mu sync.Mutex
	var rows, calls int
	s.OnCommit(func(n int, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if took <= 0 {
			t.Errorf("commit took %v", took)
		}
		rows += n
		calls++
	})
	var wg sync.WaitGroup
	const n = 40
	for i := range n {
		wg.Go(func() {
			m := storage.Message{OrgID: "org_1", ConversationID: fmt.Sprint("cnv_p", i%8), ClientID: fmt.Sprint("o", i),
				SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "hi"}
			if _, _, err := s.AppendMessage(t.Context(), m); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// A retry is stored once and commits nothing new: not reported.
	m := storage.Message{OrgID: "org_1", ConversationID: "cnv_p0", ClientID: "o0",
		SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "hi"}
	if _, created, err := s.AppendMessage(t.Context(), m); err != nil || created {
		t.Fatalf("retry: created %v, %v", created, err)
	}
	commits, appends := s.AppendCommits()
	mu.Lock()
	defer mu.Unlock()
	if rows != n || int64(calls) != commits || appends != n {
		t.Fatalf("OnCommit saw %d rows in %d calls; AppendCommits %d in %d; want %d rows", rows, calls, appends, commits, n)
	}
}

func TestLingeringLeaderWokenByAwaitedArrivals(t *testing.T) {
	g := &committer{leading: true, prevBatch: 4, gapAvg: 10 * time.Microsecond,
		lastGap: 10 * time.Microsecond, commitAvg: time.Millisecond}
	g.pending = []*appendReq{{}} // the leader's own
	g.lastArrival = time.Now()
	p := g.planLinger()
	if p.more != lingerTarget-1 {
		t.Fatalf("plan %+v, want to wait for %d more", p, lingerTarget-1)
	}
	for i := range p.more {
		if lead := g.enqueue(&appendReq{}); lead {
			t.Fatal("an arrival took the lead from the lingering leader")
		}
		select {
		case <-g.arrived:
			if i != p.more-1 {
				t.Fatalf("woken after %d arrivals, want %d", i+1, p.more)
			}
		default:
			if i == p.more-1 {
				t.Fatalf("not woken after %d arrivals", p.more)
			}
		}
	}
	if g.lingerUntil != 0 {
		t.Fatalf("lingerUntil %d after waking, want 0", g.lingerUntil)
	}
}

func TestEndLingerCountsFruitlessLingers(t *testing.T) {
	g := &committer{pending: []*appendReq{{}}, lingerFrom: 1, lingerUntil: 3, sinceMiss: 5}
	g.endLinger()
	g.endLinger()
	if g.misses != 2 || g.sinceMiss != 0 || g.lingerUntil != 0 {
		t.Fatalf("after two fruitless lingers: misses %d, sinceMiss %d, lingerUntil %d", g.misses, g.sinceMiss, g.lingerUntil)
	}
	g.pending = append(g.pending, &appendReq{})
	g.endLinger()
	if g.misses != 0 {
		t.Fatalf("misses %d after a linger that gained an arrival, want 0", g.misses)
	}
}
