package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// maxBatch bounds how many appends one group commit carries; later arrivals
// wait for the next commit.
const maxBatch = 256

// committer batches concurrent AppendMessage calls into one write
// transaction and one fsync (group commit) without a goroutine of its own:
// the first caller to arrive while no commit is running becomes the leader
// and commits (a lone append at once, with no added latency; under load it
// may linger briefly for more: linger.go); callers arriving meanwhile queue
// up, and when the leader's commit ends the first of them leads the next
// commit with everything queued by then.
type committer struct {
	mu      sync.Mutex
	pending []*appendReq
	leading bool // a caller is committing or has been told to

	// Linger policy state (linger.go), guarded by mu.
	lastArrival time.Time
	lastGap     time.Duration // between the two latest arrivals
	gapAvg      time.Duration // moving average of arrival gaps
	commitAvg   time.Duration // moving average of commit durations
	prevBatch   int           // size of the latest batch
	lingerUntil int           // >0: wake the lingering leader at this many queued
	lingerFrom  int           // queued when the linger began
	misses      int           // lingers in a row that gained no arrival
	sinceMiss   int           // batches since the latest such linger
	arrived     chan struct{} // capacity 1, made by the first linger: wakes it

	commits atomic.Int64 // committed transactions that carried appends
	appends atomic.Int64 // appends those transactions carried

	onCommit func(rows int, took time.Duration) // see Store.OnCommit
	testHook func(batch int)                    // tests: runs before each batch's transaction
}

// appendReq is one AppendMessage waiting for the commit that holds it.
type appendReq struct {
	ctx     context.Context
	msg     storage.Message
	preview string            // storage.PreviewOf(msg.Text), computed by the caller
	risky   bool              // may fail after taking a seq: needs a savepoint
	checked bool              // AppendMessageChecked: participant checks, conversation returned
	done    chan appendResult // capacity 1: the result, or a turn to lead
}

type appendResult struct {
	stored  storage.Message
	created bool
	conv    storage.Conversation // checked requests: the conversation after the append
	err     error
	lead    bool // not a result: the receiver must commit the next batch
}

// enqueue adds r and reports whether its caller must lead a commit now.
func (g *committer) enqueue(r *appendReq) bool {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending = append(g.pending, r)
	g.noteArrival(now)
	if g.leading {
		return false
	}
	g.leading = true
	return true
}

// take removes up to maxBatch queued requests, oldest first.
func (g *committer) take() []*appendReq {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := min(len(g.pending), maxBatch)
	batch := make([]*appendReq, n)
	copy(batch, g.pending)
	clear(g.pending[:n])
	g.pending = g.pending[n:]
	if len(g.pending) == 0 {
		g.pending = nil // let the backing array go
	}
	return batch
}

// handOff passes the lead to the oldest queued request, or ends leading
// when nothing is queued.
func (g *committer) handOff() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pending) == 0 {
		g.leading = false
		return
	}
	g.pending[0].done <- appendResult{lead: true}
}

// AppendCommits reports how many write transactions have committed appended
// messages and how many appends they carried in all: appends/commits is the
// mean group-commit batch size.
func (s *Store) AppendCommits() (commits, appends int64) {
	return s.gc.commits.Load(), s.gc.appends.Load()
}

// groupAppend stores m through the group committer and returns once the
// transaction holding it has committed (or failed). The wait ignores ctx:
// the commit is bounded, and a leaving caller could strand its turn to lead.
// ctx is checked when the batch reaches m.
func (s *Store) groupAppend(ctx context.Context, m storage.Message, preview string, risky, checked bool) appendResult {
	r := &appendReq{ctx: ctx, msg: m, preview: preview, risky: risky, checked: checked, done: make(chan appendResult, 1)}
	lead := s.gc.enqueue(r)
	for {
		if lead {
			s.leadCommit()
		}
		res := <-r.done
		if !res.lead {
			return res
		}
		lead = true
	}
}

// commitBatch appends every request of batch in one transaction and sends
// each its result. One item's failure does not fail the others: in a batch
// of several, an item that could fail after taking its seq (a caller-chosen
// ID, an unknown sender kind) runs inside its own savepoint. Savepoints are
// not used for the others because they cost a statement each (the FTS5
// index, which made each savepoint flush a segment, is now written by the
// indexer after the commit: indexer.go); an unforeseen failure
// after the seq was taken in such an item fails the whole batch instead,
// so nothing half-written is ever committed.
func (s *Store) commitBatch(batch []*appendReq) {
	if s.gc.testHook != nil {
		s.gc.testHook(len(batch))
	}
	// The leader's cancellation must not roll back the others' appends.
	ctx := context.WithoutCancel(batch[0].ctx)
	results := make([]appendResult, len(batch))
	var ok int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		for i, r := range batch {
			res, err := appendItem(ctx, tx, s.stmts, r, len(batch) > 1 && r.risky)
			if err != nil {
				return err
			}
			results[i] = res
			if res.err == nil && res.created {
				ok++
			}
		}
		if len(batch) == 1 {
			return results[0].err // roll back a failed single append
		}
		return nil
	})
	if err == nil && ok > 0 {
		s.gc.commits.Add(1)
		s.gc.appends.Add(ok)
		s.ix.notify() // index them for search, off the ack path
	}
	for i, r := range batch {
		if err != nil {
			results[i] = appendResult{err: err}
		}
		r.done <- results[i]
	}
}

// appendItem appends one request inside tx. The result carries the item's
// own failure; the error return is a failure that breaks the whole
// transaction (a savepoint that cannot be taken or released).
func appendItem(ctx context.Context, tx *sql.Tx, st *appendStmts, r *appendReq, savepoint bool) (appendResult, error) {
	if err := r.ctx.Err(); err != nil {
		return appendResult{err: err}, nil
	}
	if !savepoint {
		res, partial := appendMessage(ctx, tx, st, r)
		if partial {
			return appendResult{}, res.err
		}
		return res, nil
	}
	if _, err := tx.StmtContext(ctx, st.savepoint).ExecContext(ctx); err != nil {
		return appendResult{}, fmt.Errorf("savepoint: %w", err)
	}
	res, _ := appendMessage(ctx, tx, st, r)
	if res.err != nil {
		if _, rerr := tx.StmtContext(ctx, st.rollbackTo).ExecContext(ctx); rerr != nil {
			return appendResult{}, fmt.Errorf("rollback to savepoint: %w", rerr)
		}
	}
	if _, rerr := tx.StmtContext(ctx, st.release).ExecContext(ctx); rerr != nil {
		return appendResult{}, fmt.Errorf("release savepoint: %w", rerr)
	}
	return res, nil
}
