package main

import (
	"fmt"
	"sort"
	"sync"
)

// maxMissing bounds the gaps one stream remembers (a stream that lost more
// is broken anyway; the rest are still counted as lost).
const maxMissing = 10_000

// seqTracker checks one receiver's stream of one conversation: every seq
// must arrive exactly once, as last+1. Not safe for concurrent use: it is
// owned by the receiving connection's reader.
type seqTracker struct {
	last      int64
	missing   map[int64]struct{}
	overflow  int64 // gaps not remembered (beyond maxMissing)
	dups      int64
	reorders  int64
	delivered int64
}

// observe records seq and reports whether it arrived in order.
func (s *seqTracker) observe(seq int64) bool {
	switch {
	case seq == s.last+1:
		s.last = seq
		s.delivered++
		return true
	case seq > s.last+1:
		for q := s.last + 1; q < seq; q++ {
			if len(s.missing) >= maxMissing {
				s.overflow += seq - q
				break
			}
			if s.missing == nil {
				s.missing = map[int64]struct{}{}
			}
			s.missing[q] = struct{}{}
		}
		s.last = seq
		s.delivered++
		return false
	default:
		if _, ok := s.missing[seq]; ok {
			delete(s.missing, seq)
			s.reorders++
			s.delivered++
			return false
		}
		s.dups++
		return false
	}
}

// lost counts what never arrived, given the conversation's highest seq.
func (s *seqTracker) lost(highest int64) int64 {
	n := int64(len(s.missing)) + s.overflow
	if highest > s.last {
		n += highest - s.last
	}
	return n
}

// complete reports whether the stream holds every seq up to highest.
func (s *seqTracker) complete(highest int64) bool {
	return s.last >= highest && len(s.missing) == 0 && s.overflow == 0
}

// verdict collects correctness violations. Safe for concurrent use.
type verdict struct {
	mu         sync.Mutex
	counts     map[string]int64
	examples   map[string]string
	lost       int64
	duplicates int64
	reordered  int64
}

func newVerdict() *verdict {
	return &verdict{counts: map[string]int64{}, examples: map[string]string{}}
}

// fail records one violation of kind; detail is an example kept for the
// first of each kind.
func (v *verdict) fail(kind, detail string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.counts[kind] == 0 {
		v.examples[kind] = detail
	}
	v.counts[kind]++
}

// addStream folds one finished stream into the totals.
func (v *verdict) addStream(who, conv string, s *seqTracker, highest int64) {
	lost := s.lost(highest)
	v.mu.Lock()
	v.lost += lost
	v.duplicates += s.dups
	v.reordered += s.reorders
	v.mu.Unlock()
	if lost > 0 {
		v.fail("loss", fmt.Sprintf("%s missed %d of %d messages in %s", who, lost, highest, conv))
	}
	if s.dups > 0 {
		v.fail("duplicate", fmt.Sprintf("%s received %d duplicates in %s", who, s.dups, conv))
	}
	if s.reorders > 0 {
		v.fail("reorder", fmt.Sprintf("%s received %d messages out of order in %s", who, s.reorders, conv))
	}
}

// ok reports whether nothing failed.
func (v *verdict) ok() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.counts) == 0
}

// list describes each kind of violation, with its count and first example.
func (v *verdict) list() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	kinds := make([]string, 0, len(v.counts))
	for k := range v.counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	out := make([]string, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, fmt.Sprintf("%s ×%d (first: %s)", k, v.counts[k], v.examples[k]))
	}
	return out
}

// totals returns lost, duplicates and reordered.
func (v *verdict) totals() (lost, dups, reordered int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lost, v.duplicates, v.reordered
}
