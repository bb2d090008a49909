package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/helpr-chat/helpr/storage"
)

var _ storage.Store = (*Store)(nil)

// Store is the SQLite backend of storage.Store. It is safe for concurrent
// use. Writes go through one connection (so they queue in Go rather than
// failing with SQLITE_BUSY); reads use a separate pool of read-only
// connections and never wait for a write in progress.
type Store struct {
	w     *sql.DB // the single read-write connection
	r     *sql.DB // read-only connections
	stmts *appendStmts
	gc    committer
	ix    *indexer // search indexing off the ack path; nil if not started
	ckpt  *checkpointer
}

// Option adjusts Open. With no options Open uses the defaults documented on
// each option.
type Option func(*options)

type options struct {
	readConns   int
	busyTimeout time.Duration
	noIndexer   bool // tests: leave the search index behind, as a crash would

	checkpointEvery time.Duration // how often the checkpointer looks
	walHardLimit    int64         // WAL bytes past which it truncates
}

func defaultOptions() options {
	return options{readConns: 4, busyTimeout: 5 * time.Second,
		checkpointEvery: checkpointEvery, walHardLimit: walHardLimit}
}

// WithReadConns sets how many read-only connections may be open at once
// (default 4; values below 1 are ignored).
func WithReadConns(n int) Option {
	return func(o *options) {
		if n >= 1 {
			o.readConns = n
		}
	}
}

// WithBusyTimeout sets how long a connection waits for a lock held by
// another process using the same file (default 5s; values <= 0 are
// ignored). Within one Store writes never contend: they share a connection.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.busyTimeout = d
		}
	}
}

// Open opens (creating if needed) the database file at path, applies any
// pending migrations and returns the store. The directory must exist. A new
// file is created readable by its owner only. The database runs in WAL mode
// with synchronous=FULL: a write that returned nil survives a crash.
//
// Open starts the search indexer (see SyncSearch and SearchLag), which
// first catches up an index left behind (by a crash, or a Close that could
// not finish it) while the store already serves: until it has, searches
// miss the messages not yet indexed. Close stops it. Open also starts the
// checkpointer, which copies the WAL into the database file in the
// background instead of inside commits (checkpoint.go); Close stops it.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := createPrivate(abs); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	s, err := openPools(ctx, abs, o)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return s, nil
}

func openPools(ctx context.Context, abs string, o options) (*Store, error) {
	w, err := openWriter(ctx, abs, o)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, w); err != nil {
		_ = w.Close()
		return nil, err
	}
	stmts, err := prepareAppend(ctx, w)
	if err != nil {
		_ = w.Close()
		return nil, err
	}
	r, err := openReaders(ctx, abs, o)
	if err != nil {
		_ = errors.Join(stmts.close(), w.Close())
		return nil, err
	}
	ckpt, err := startCheckpointer(ctx, abs, o)
	if err != nil {
		_ = errors.Join(stmts.close(), r.Close(), w.Close())
		return nil, err
	}
	s := &Store{w: w, r: r, stmts: stmts, ckpt: ckpt}
	if !o.noIndexer {
		s.ix = newIndexer()
		go s.runIndexer()
	}
	return s, nil
}

// createPrivate creates an empty database file with mode 0600 if none
// exists; SQLite gives its -wal and -shm files the same mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

func openWriter(ctx context.Context, path string, o options) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	// secure_delete zeroes deleted and overwritten content in the file, so
	// values cleared by erasure or replaced on re-encryption do not linger
	// in free space (old WAL frames last until checkpoints reuse them).
	q.Add("_pragma", "secure_delete(1)")
	// Statement journals (taken by savepoints and multi-row statements)
	// stay in memory instead of spilling to a temp file on every commit.
	q.Add("_pragma", "temp_store(MEMORY)")
	// Checkpoints run on the checkpointer's connection (checkpoint.go),
	// not inside the commits whose acknowledgements would wait for them.
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", fileURI(path, q))
	if err != nil {
		return nil, fmt.Errorf("open writer: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := checkWAL(ctx, db); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func checkWAL(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	return nil
}

func openReaders(ctx context.Context, path string, o options) (*sql.DB, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds()))
	db, err := sql.Open("sqlite", fileURI(path, q))
	if err != nil {
		return nil, fmt.Errorf("open readers: %w", err)
	}
	db.SetMaxOpenConns(o.readConns)
	db.SetMaxIdleConns(o.readConns)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open readers: %w", err)
	}
	return db, nil
}

// fileURI builds a SQLite "file:" URI so that SQLite's own parameters
// (mode=ro) apply; the path is escaped, so any file name is safe.
func fileURI(abs string, q url.Values) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive letters: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

// Ping reports whether the database file can be read.
func (s *Store) Ping(ctx context.Context) error {
	var v int
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM schema_version").Scan(&v)
	if err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Close stops the search indexer once it has indexed every committed
// message, stops the checkpointer, then closes the connection pools. No
// method may be called afterwards.
func (s *Store) Close() error {
	s.ix.close()
	return errors.Join(s.ckpt.close(), s.stmts.close(), s.r.Close(), s.w.Close())
}
