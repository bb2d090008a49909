package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/helpr-chat/helpr/storage"
)

// Backup writes a consistent copy of the database file at path to out
// while other connections — a running server — keep reading and writing:
// VACUUM INTO on a connection of its own, which reads one snapshot (a WAL
// read transaction) and never blocks the writer. out must not exist: the
// copy is made in a temporary file next to it (mode 0600), synced, and
// linked to out, which fails rather than replace a file created meanwhile.
// The source file must exist; Backup never creates one.
func Backup(ctx context.Context, path, out string) error {
	if err := backup(ctx, path, out); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	return nil
}

func backup(ctx context.Context, path, out string) error {
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("%s already exists; refusing to overwrite it", out)
	}
	src, err := openFile(path, "rw")
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), ".helpr-backup-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // after the link, out keeps the data
	if err := tmp.Close(); err != nil {
		return err
	}
	// VACUUM INTO accepts an existing file only if it is empty, as tmp is.
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", tmpName); err != nil {
		return fmt.Errorf("vacuum into: %w", translate(err))
	}
	if err := syncFile(tmpName); err != nil {
		return err
	}
	if err := os.Link(tmpName, out); err != nil {
		return err
	}
	return syncDir(filepath.Dir(out))
}

// FileInfo describes a database file without changing it (Inspect).
type FileInfo struct {
	// Organizations and Visitors count the stored rows.
	Organizations, Visitors int
	// KeyringFingerprint is the recorded storage.MetaKeyringFingerprint,
	// "" if none is (a store from before fingerprints, or never started).
	KeyringFingerprint string
}

// Inspect opens the database file at path read-only, checks its integrity
// (PRAGMA quick_check) and describes it. It never creates the file, and
// needs no migration: it reads the tables every schema version has, and
// the meta table where it exists.
func Inspect(ctx context.Context, path string) (FileInfo, error) {
	info, err := inspect(ctx, path)
	if err != nil {
		return FileInfo{}, fmt.Errorf("inspect %s: %w", path, err)
	}
	return info, nil
}

func inspect(ctx context.Context, path string) (FileInfo, error) {
	db, err := openFile(path, "ro")
	if err != nil {
		return FileInfo{}, err
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		return FileInfo{}, fmt.Errorf("quick check: %w", translate(err))
	}
	if check != "ok" {
		return FileInfo{}, fmt.Errorf("quick check: %s", check)
	}
	var info FileInfo
	if err := db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM organizations), (SELECT count(*) FROM visitors)").
		Scan(&info.Organizations, &info.Visitors); err != nil {
		return FileInfo{}, fmt.Errorf("count rows (not a helpr store?): %w", translate(err))
	}
	err = db.QueryRowContext(ctx, "SELECT value FROM meta WHERE name = ?", storage.MetaKeyringFingerprint).
		Scan(&info.KeyringFingerprint)
	if err != nil && !errors.Is(err, sql.ErrNoRows) && !strings.Contains(err.Error(), "no such table") {
		return FileInfo{}, fmt.Errorf("read keyring fingerprint: %w", translate(err))
	}
	return info, nil
}

// openFile opens one connection to an existing database file in mode ro
// or rw (SQLite's mode parameter: neither creates the file).
func openFile(path, mode string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("mode", mode)
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", fileURI(abs, q))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
