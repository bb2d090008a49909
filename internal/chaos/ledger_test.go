package chaos

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/transport/wire"
)

// ledger is what one peer holds of its conversation across reconnects. Like
// the widget it ignores a seq it already holds (the protocol's
// at-least-once delivery); what it counts as faults are a client id stored
// under two seqs (a duplicate), a seq arriving below one already held (out
// of order), and — in verdict — an acked message it never got (lost).
type ledger struct {
	mu        sync.Mutex
	bySeq     map[int64]string // seq → client id
	last      int64
	reordered []string
	changed   chan struct{}
}

func newLedger() *ledger {
	return &ledger{bySeq: map[int64]string{}, changed: make(chan struct{}, 1)}
}

// add records one received message.
func (l *ledger) add(m wire.Message) {
	l.mu.Lock()
	if _, held := l.bySeq[m.Seq]; !held {
		if m.Seq < l.last {
			l.reordered = append(l.reordered, fmt.Sprintf("seq %d after %d", m.Seq, l.last))
		}
		l.bySeq[m.Seq] = m.ClientID
		l.last = max(l.last, m.Seq)
	}
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// lastSeq returns the highest seq held.
func (l *ledger) lastSeq() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// holds reports whether every client id of want is held.
func (l *ledger) holds(want map[string]int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, seq := range want {
		if l.bySeq[seq] != id {
			return false
		}
	}
	return true
}

// waitHolds waits until the ledger holds every acked message, or ctx ends.
func (l *ledger) waitHolds(ctx context.Context, want map[string]int64) bool {
	for !l.holds(want) {
		select {
		case <-l.changed:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// tally is one case's result over every peer.
type tally struct {
	sent, acked, delivered      int
	lost, duplicated, reordered int
	notes                       []string
}

// verdict compares the acked set with what each peer holds.
func verdict(sent int, acked map[string]int64, peers map[string]*ledger) tally {
	t := tally{sent: sent, acked: len(acked), delivered: -1}
	names := make([]string, 0, len(peers))
	for name := range peers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		l := peers[name]
		l.mu.Lock()
		got, seen := 0, map[string]int64{}
		for seq, id := range l.bySeq {
			if first, dup := seen[id]; dup {
				t.duplicated++
				t.notes = append(t.notes, fmt.Sprintf("%s: %s stored twice, seq %d and %d", name, id, first, seq))
			}
			seen[id] = seq
		}
		for id, seq := range acked {
			if l.bySeq[seq] == id {
				got++
				continue
			}
			t.lost++
			t.notes = append(t.notes, fmt.Sprintf("%s: acked %s (seq %d) missing (has %q there)", name, id, seq, l.bySeq[seq]))
		}
		t.reordered += len(l.reordered)
		for _, r := range l.reordered {
			t.notes = append(t.notes, name+": out of order: "+r)
		}
		l.mu.Unlock()
		if t.delivered < 0 || got < t.delivered {
			t.delivered = got
		}
	}
	return t
}

// report prints the case's line and fails the test on any fault.
func (v tally) report(t *testing.T, id, name string, recovery time.Duration, extra ...string) {
	t.Helper()
	line := fmt.Sprintf("%s %s sent=%d acked=%d delivered=%d lost=%d duplicated=%d reordered=%d recovery=%.1fs",
		id, name, v.sent, v.acked, v.delivered, v.lost, v.duplicated, v.reordered, recovery.Seconds())
	if len(extra) > 0 {
		line += " " + strings.Join(extra, " ")
	}
	fmt.Println(line)
	for _, n := range v.notes {
		t.Error(n)
	}
	if v.delivered != v.acked {
		t.Errorf("%s: delivered %d of %d acked messages", id, v.delivered, v.acked)
	}
}
