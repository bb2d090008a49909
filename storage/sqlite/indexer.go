package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// Search indexing runs off the ack path: AppendMessage's transaction
// writes only the message rows, and the indexer adds committed messages to
// messages_fts afterwards, in batches (migration 0018).
const (
	// indexBatch bounds the messages one indexing transaction carries.
	indexBatch = 1000
	// After a round the indexer waits indexPausePerRow for every message
	// it indexed, at most indexPause, before the next one: a lone message
	// is searchable almost at once, and under load the rounds stretch to one
	// per indexPause, so that one round indexes many commits' messages and
	// the index flush is paid per round, not per commit.
	indexPausePerRow = time.Millisecond
	indexPause       = 100 * time.Millisecond
	// indexRetry is how long the indexer waits after a failed round.
	indexRetry = time.Second
	// SearchLag is the documented bound on how long a committed message
	// may take to become searchable under normal load: the indexer wakes on
	// every commit, starts a round at most indexPause (100 ms) after the
	// previous one, and indexes up to indexBatch messages per transaction
	// until it has caught up.
	SearchLag = time.Second
)

// indexer is the goroutine that keeps messages_fts up to the last commit.
type indexer struct {
	wake     chan struct{} // capacity 1: a commit happened since the last round
	stop     chan struct{} // closed by Close
	done     chan struct{} // closed when the goroutine has returned
	stopOnce sync.Once
	pause    time.Duration
}

func newIndexer() *indexer {
	x := &indexer{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), pause: indexPause}
	x.notify() // the first round catches up whatever an earlier run left behind
	return x
}

// notify wakes the indexer without blocking.
func (x *indexer) notify() {
	if x == nil {
		return
	}
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// runIndexer indexes on every wake-up until Close, then indexes what is
// committed and returns.
func (s *Store) runIndexer() {
	x := s.ix
	defer close(x.done)
	ctx := context.Background()
	pause := time.NewTimer(indexPause)
	pause.Stop()
	for {
		select {
		case <-x.stop:
			_ = s.SyncSearch(ctx)
			return
		case <-x.wake:
		}
		n, err := s.syncSearch(ctx)
		wait := min(x.pause, time.Duration(n)*indexPausePerRow)
		if err != nil {
			wait = indexRetry
			x.notify() // retry even if no commit comes
		}
		if wait <= 0 {
			continue
		}
		pause.Reset(wait)
		select {
		case <-x.stop:
			_ = s.SyncSearch(ctx)
			return
		case <-pause.C:
		}
	}
}

// close stops the indexer after it has indexed every committed message.
func (x *indexer) close() {
	if x == nil {
		return
	}
	x.stopOnce.Do(func() { close(x.stop) })
	<-x.done
}

// SyncSearch indexes, on the caller's goroutine, every message committed
// before it was called, so that SearchMessages finds them. The indexer does
// this on its own within SearchLag; SyncSearch is for callers that need
// their own writes searchable at once (tests, the conformance suite, a
// maintenance tool). It is safe to call concurrently with the indexer:
// each round reads the watermark inside its write transaction.
func (s *Store) SyncSearch(ctx context.Context) error {
	_, err := s.syncSearch(ctx)
	return err
}

// syncSearch is SyncSearch, reporting how many messages it indexed.
func (s *Store) syncSearch(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.indexRound(ctx)
		total += n
		if err != nil {
			return total, fmt.Errorf("index messages for search: %w", err)
		}
		if n < indexBatch {
			return total, nil
		}
	}
}

// indexRound indexes up to indexBatch messages above the watermark and
// advances it, in one transaction, and reports how many it indexed.
func (s *Store) indexRound(ctx context.Context) (int, error) {
	var n int
	err := s.write(ctx, func(tx *sql.Tx) error {
		var from, to int64
		if err := tx.QueryRowContext(ctx, "SELECT rid FROM fts_watermark").Scan(&from); err != nil {
			return translate(err)
		}
		const span = `SELECT COUNT(*), COALESCE(MAX(rid), 0) FROM
			(SELECT rid FROM messages WHERE rid > ? ORDER BY rid LIMIT ?)`
		if err := tx.QueryRowContext(ctx, span, from, indexBatch).Scan(&n, &to); err != nil || n == 0 {
			return translate(err)
		}
		const add = "INSERT INTO messages_fts (rowid, text) SELECT rid, text FROM messages WHERE rid > ? AND rid <= ?"
		if _, err := tx.ExecContext(ctx, add, from, to); err != nil {
			return translate(err)
		}
		_, err := tx.ExecContext(ctx, "UPDATE fts_watermark SET rid = ?", to)
		return translate(err)
	})
	return n, err
}
