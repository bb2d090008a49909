package sqlite

import (
	"time"
)

// Adaptive batching: under load, the leader of a group commit lingers a
// little before committing, so that appends arriving right behind it share
// its transaction (one WAL write and one fsync) instead of paying for the
// next one. A lone append does not linger.
const (
	// maxLinger bounds how long a leader waits for more appends.
	maxLinger = 500 * time.Microsecond
	// lingerTarget is the batch size at which a leader stops waiting: at
	// 16 appends per commit the per-commit costs are a sixteenth of each
	// append's, and waiting for more would mostly add latency.
	lingerTarget = 16
	// maxGap caps one arrival gap fed to the average, so that one long
	// idle spell does not take many arrivals to forget.
	maxGap = 100 * time.Millisecond
)

// lingerInput is what the linger policy decides on.
type lingerInput struct {
	queued    int           // appends waiting, the leader's own included
	prevBatch int           // size of the previous batch
	gap       time.Duration // moving average of the time between arrivals
	lastGap   time.Duration // time between the two latest arrivals
	commit    time.Duration // moving average of a commit's duration
	misses    int           // lingers in a row that gained no arrival
	sinceMiss int           // batches since the latest such linger
}

// lingerPlan is how long a leader may wait and for how many more arrivals.
type lingerPlan struct {
	wait time.Duration // 0: commit at once
	more int           // stop waiting once this many more have arrived
}

// lingerFor decides whether a leader lingers. It lingers only under load
// (others queued with it, or a previous batch of several) when arrivals
// are frequent enough that at least one more is expected within the bound,
// which is maxLinger or one commit's duration if shorter (waiting longer
// than a commit takes would cost more than the commit it saves). It waits
// for as many arrivals as the bound is expected to bring, up to a batch of
// lingerTarget. After a linger that gained nothing (all the callers there
// are may be waiting already, as with a few busy clients) it backs off:
// after n such lingers in a row it skips 2^n batches (up to 64) before
// trying again.
func lingerFor(in lingerInput) lingerPlan {
	if in.queued >= lingerTarget || (in.queued <= 1 && in.prevBatch <= 1) {
		return lingerPlan{}
	}
	if in.misses > 0 && in.sinceMiss < 1<<min(in.misses, 6) {
		return lingerPlan{}
	}
	bound := min(maxLinger, in.commit)
	if in.gap <= 0 || in.lastGap > bound {
		return lingerPlan{} // no rate known, or arrivals have just thinned out
	}
	more := min(lingerTarget-in.queued, int(bound/in.gap))
	if more < 1 {
		return lingerPlan{}
	}
	return lingerPlan{wait: time.Duration(more) * in.gap, more: more}
}

// ewma moves avg an eighth of the way to sample.
func ewma(avg, sample time.Duration) time.Duration {
	if avg == 0 {
		return sample
	}
	return avg + (sample-avg)/8
}

// noteArrival updates the arrival averages and, when the leader lingers
// and the awaited arrivals are in, wakes it. g.mu must be held.
func (g *committer) noteArrival(now time.Time) {
	if !g.lastArrival.IsZero() {
		g.lastGap = min(now.Sub(g.lastArrival), maxGap)
		g.gapAvg = ewma(g.gapAvg, g.lastGap)
	}
	g.lastArrival = now
	if g.lingerUntil > 0 && len(g.pending) >= g.lingerUntil {
		g.lingerUntil = 0
		g.arrived <- struct{}{} // capacity 1, drained before each linger
	}
}

// planLinger decides the leader's linger and arms the wake-up for it.
func (g *committer) planLinger() lingerPlan {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := lingerFor(lingerInput{queued: len(g.pending), prevBatch: g.prevBatch,
		gap: g.gapAvg, lastGap: g.lastGap, commit: g.commitAvg, misses: g.misses, sinceMiss: g.sinceMiss})
	g.sinceMiss++
	if p.wait > 0 {
		if g.arrived == nil {
			g.arrived = make(chan struct{}, 1)
		}
		select {
		case <-g.arrived: // a stale wake-up from a linger that timed out
		default:
		}
		g.lingerUntil = len(g.pending) + p.more
		g.lingerFrom = len(g.pending)
	}
	return p
}

// endLinger disarms the wake-up and counts a linger that gained nothing.
func (g *committer) endLinger() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.lingerUntil = 0
	if len(g.pending) > g.lingerFrom {
		g.misses = 0
		return
	}
	g.misses++
	g.sinceMiss = 0
}

// linger waits as lingerFor plans: until the awaited appends have arrived,
// or the wait is over. Go's timers may fire late by up to a millisecond
// when the process is otherwise idle; under load, arrivals end the wait.
func (g *committer) linger() {
	p := g.planLinger()
	if p.wait <= 0 {
		return
	}
	t := time.NewTimer(p.wait)
	select {
	case <-t.C:
	case <-g.arrived:
	}
	t.Stop()
	g.endLinger()
}

// observe records a committed batch's size and duration for the policy.
func (g *committer) observe(batch int, took time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.prevBatch = batch
	g.commitAvg = ewma(g.commitAvg, took)
}

// OnCommit sets f to be called after each committed transaction that
// carried appended messages, with how many messages it stored and how long
// the commit took (from the transaction's begin to its commit's return,
// the fsync included, plus handing the results to the waiting callers).
// f runs on the committing goroutine before the next batch starts, so it
// must be quick. Set it once, right after Open and before any append: it
// is not synchronized with appends in progress. nil turns it off.
func (s *Store) OnCommit(f func(rows int, took time.Duration)) {
	s.gc.onCommit = f
}

// leadCommit lingers as the policy says, commits one batch (after a
// checkpoint if the checkpointer asks for one: offerWindow), reports it
// and passes the lead on.
func (s *Store) leadCommit() {
	s.gc.linger()
	batch := s.gc.take()
	s.ckpt.offerWindow()
	commits, appends := s.gc.commits.Load(), s.gc.appends.Load()
	start := time.Now()
	s.commitBatch(batch)
	took := time.Since(start)
	s.gc.observe(len(batch), took)
	if f := s.gc.onCommit; f != nil && s.gc.commits.Load() != commits {
		f(int(s.gc.appends.Load()-appends), took)
	}
	s.gc.handOff()
}
