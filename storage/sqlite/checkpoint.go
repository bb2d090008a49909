package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Checkpoint defaults. The writer connection runs with auto-checkpoint off
// (wal_autocheckpoint(0)), so no commit, and no acknowledgement, waits for
// a checkpoint: the checkpointer does them on a connection of its own.
const (
	// checkpointEvery is how often the checkpointer looks for new commits.
	// Between two looks the WAL holds at most that much new writing; at
	// 2,000 commits/s that is a few hundred frames, below the 1,000 pages
	// after which SQLite's own auto-checkpoint would run.
	checkpointEvery = 100 * time.Millisecond
	// walHardLimit bounds the WAL file. A PASSIVE checkpoint copies frames
	// without stopping the writer, but the WAL restarts from its beginning
	// only when a write starts after everything was copied, which a
	// steady load may never leave time for; past this size a TRUNCATE
	// checkpoint, which briefly holds writers back, resets it.
	walHardLimit = 64 << 20
	// resetFrames is the WAL length (in frames, about pages) past which
	// the checkpointer asks the committer for a window (offerWindow), as
	// SQLite's auto-checkpoint would run after 1,000 pages.
	resetFrames = 1000
)

// checkpointMode is the checkpoint to run after a look: "" for none. walSize
// is the WAL file's size in bytes; dirty reports commits since the previous
// checkpoint.
func checkpointMode(walSize, hardLimit int64, dirty bool) string {
	switch {
	case walSize > hardLimit:
		return "TRUNCATE"
	case dirty:
		return "PASSIVE"
	default:
		return ""
	}
}

// checkpointer runs WAL checkpoints off the ack path, on its own read-write
// connection, so that a PASSIVE checkpoint runs alongside the writer's
// commits. Read-only connections cannot checkpoint.
type checkpointer struct {
	db        *sql.DB
	conn      *sql.Conn // held for good: data_version is per connection
	wal       string    // the WAL file's path
	hardLimit int64
	every     time.Duration

	mu      sync.Mutex // one checkpoint at a time (see checkpointNow)
	version int64      // data_version at the previous look

	wantWindow atomic.Bool // the WAL is long: see offerWindow

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// startCheckpointer opens the checkpoint connection and starts its loop.
func startCheckpointer(ctx context.Context, path string, o options) (*checkpointer, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds()))
	q.Add("_pragma", "wal_autocheckpoint(0)")
	db, err := sql.Open("sqlite", fileURI(path, q))
	if err != nil {
		return nil, fmt.Errorf("open checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open checkpointer: %w", err)
	}
	c := &checkpointer{db: db, conn: conn, wal: path + "-wal", hardLimit: o.walHardLimit,
		every: o.checkpointEvery, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

// run looks for new commits every c.every until close.
func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if err := c.look(context.Background()); err != nil {
				slog.Warn("sqlite checkpoint", "err", err)
			}
		}
	}
}

// look runs the checkpoint checkpointMode asks for, if any.
func (c *checkpointer) look(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var v int64
	if err := c.conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
		return fmt.Errorf("data_version: %w", err)
	}
	var size int64
	if fi, err := os.Stat(c.wal); err == nil {
		size = fi.Size()
	}
	mode := checkpointMode(size, c.hardLimit, v != c.version)
	if mode == "" {
		return nil
	}
	_, frames, err := c.checkpoint(ctx, mode)
	if err != nil {
		return err
	}
	c.version = v
	c.wantWindow.Store(frames >= resetFrames)
	return nil
}

// offerWindow is called by the group commit leader before each batch's
// transaction. A PASSIVE checkpoint copies frames while the writer goes
// on, but the WAL starts over from its beginning (instead of growing) only
// when a write transaction starts with every frame copied, which a steady
// load of commits never leaves time for. So once the WAL is long, the
// leader runs one more PASSIVE checkpoint between two commits: it has only
// the frames written since the background one to copy, and the next
// transaction then restarts the WAL. Under load that is one checkpoint of
// a few dozen pages on the ack path per resetFrames frames, instead of
// SQLite's auto-checkpoint copying all of them inside a commit. It does
// nothing when a background checkpoint is running.
func (c *checkpointer) offerWindow() {
	if c == nil || !c.wantWindow.Load() || !c.mu.TryLock() {
		return
	}
	defer c.mu.Unlock()
	c.wantWindow.Store(false)
	if _, _, err := c.checkpoint(context.Background(), "PASSIVE"); err != nil {
		slog.Warn("sqlite checkpoint", "err", err)
	}
}

// checkpoint runs one checkpoint and reports whether it was blocked
// (SQLITE_BUSY: readers or a writer kept it from finishing) and how many
// frames the WAL held.
func (c *checkpointer) checkpoint(ctx context.Context, mode string) (busy bool, frames int, err error) {
	var b, done int
	q := "PRAGMA wal_checkpoint(" + mode + ")"
	if err := c.conn.QueryRowContext(ctx, q).Scan(&b, &frames, &done); err != nil {
		return false, 0, fmt.Errorf("wal_checkpoint(%s): %w", mode, err)
	}
	return b != 0, frames, nil
}

// checkpointNow runs a checkpoint of the given mode now, after any running
// one (tests: a TRUNCATE checkpoint that a concurrent PASSIVE one would
// otherwise make fail as busy).
func (c *checkpointer) checkpointNow(ctx context.Context, mode string) (busy bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	busy, _, err = c.checkpoint(ctx, mode)
	return busy, err
}

// close stops the loop, waits for it, and closes the connection. It is safe
// on a nil checkpointer and idempotent (Store.Close may be called twice).
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.done
		c.closeErr = errors.Join(c.conn.Close(), c.db.Close())
	})
	return c.closeErr
}
