package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

func TestFileIsInWALMode(t *testing.T) {
	s, path := openTemp(t)
	defer s.Close()
	var mode string
	if err := s.r.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	// WAL is a property of the file: header bytes 18 and 19 (read and
	// write format versions) are 2 in WAL mode.
	head := make([]byte, 20)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.ReadAt(head, 0); err != nil {
		t.Fatal(err)
	}
	if head[18] != 2 || head[19] != 2 {
		t.Errorf("file header format versions = %d, %d, want 2, 2 (WAL)", head[18], head[19])
	}
}

func TestWriterPragmas(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	for pragma, want := range map[string]int{
		"synchronous":   2, // FULL
		"foreign_keys":  1,
		"busy_timeout":  5000,
		"secure_delete": 1, // erased values are zeroed in the file
	} {
		var got int
		if err := s.w.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("%s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %d, want %d", pragma, got, want)
		}
	}
}

func TestNewFileIsPrivate(t *testing.T) {
	s, path := openTemp(t)
	defer s.Close()
	for _, p := range []string{path, path + "-wal"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode = %v, want 0600", filepath.Base(p), perm)
		}
	}
}

func TestReadPoolIsReadOnly(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	_, err := s.r.ExecContext(t.Context(), "INSERT INTO organizations (id, name) VALUES ('org_x', 'x')")
	if err == nil {
		t.Fatal("insert through the read pool succeeded")
	}
}

// TestReadsDoNotWaitForWrites holds a write transaction open and reads
// through the store: the read pool must answer from the last commit.
func TestReadsDoNotWaitForWrites(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	ctx := t.Context()
	org := storage.Organization{ID: "org_1", Name: "One"}
	owner := storage.Agent{ID: "agt_1", OrgID: "org_1", Email: "a@one.example", Role: storage.RoleOwner}
	if err := s.CreateOrgWithOwner(ctx, org, owner); err != nil {
		t.Fatal(err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT INTO organizations (id, name) VALUES ('org_2', 'Two')"); err != nil {
		t.Fatal(err)
	}
	guard, cancel := context.WithTimeout(ctx, 10*time.Second) // deadlock guard only
	defer cancel()
	if _, err := s.GetOrg(guard, "org_1"); err != nil {
		t.Fatalf("read during a write transaction: %v", err)
	}
	if _, err := s.GetOrg(guard, "org_2"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("uncommitted org visible to readers: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetOrg(guard, "org_2"); err != nil {
		t.Fatalf("committed org not visible: %v", err)
	}
}

func TestForeignKeysReportNotFound(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	a := storage.Agent{ID: "agt_1", OrgID: "org_missing", Email: "a@x.example", Role: storage.RoleAgent}
	if err := s.CreateAgent(t.Context(), a); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("agent of a missing org: got %v, want ErrNotFound", err)
	}
}

func TestOpenOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b?c#d%20e&mode=ro")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "helpr.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	org := storage.Organization{ID: "org_1", Name: "One"}
	owner := storage.Agent{ID: "agt_1", OrgID: "org_1", Email: "a@one.example", Role: storage.RoleOwner}
	if err := s.CreateOrgWithOwner(t.Context(), org, owner); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the given path: %v", err)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	_, err := Open(t.Context(), filepath.Join(t.TempDir(), "missing", "helpr.db"))
	if err == nil {
		t.Fatal("open in a missing directory succeeded")
	}
}
