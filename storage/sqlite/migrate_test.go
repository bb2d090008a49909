package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

func schemaVersions(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT version FROM schema_version ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestMigrationsIdempotentOnReopen(t *testing.T) {
	list, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	s, path := openTemp(t)
	first := schemaVersions(t, s.r)
	if len(first) != len(list) {
		t.Fatalf("versions after first open = %v, want %d", first, len(list))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if got := schemaVersions(t, s.r); len(got) != len(list) || got[len(got)-1] != len(list) {
			t.Errorf("versions after reopen = %v, want 1..%d once each", got, len(list))
		}
		s.Close()
	}
}

// openRaw opens a bare writer on a new file, without migrations.
func openRaw(t *testing.T) *sql.DB {
	t.Helper()
	db, err := openWriter(t.Context(), filepath.Join(t.TempDir(), "raw.db"), defaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateAppliesOnlyNewOnes(t *testing.T) {
	db := openRaw(t)
	m1 := migration{1, "0001_a.sql", "CREATE TABLE a (x INTEGER)"}
	m2 := migration{2, "0002_b.sql", "CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (1);"}
	if err := migrateTo(t.Context(), db, []migration{m1}); err != nil {
		t.Fatal(err)
	}
	// Re-running m1 would fail (table a exists), so success proves it is skipped.
	if err := migrateTo(t.Context(), db, []migration{m1, m2}); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	if err := migrateTo(t.Context(), db, []migration{m1, m2}); err != nil {
		t.Fatalf("nothing to do: %v", err)
	}
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM a").Scan(&n); err != nil || n != 1 {
		t.Errorf("rows in a = %d (%v), want 1: m2 ran once", n, err)
	}
	if got := schemaVersions(t, db); len(got) != 2 {
		t.Errorf("versions = %v, want [1 2]", got)
	}
}

func TestMigrateFailureRollsBack(t *testing.T) {
	db := openRaw(t)
	m1 := migration{1, "0001_a.sql", "CREATE TABLE a (x INTEGER)"}
	bad := migration{2, "0002_bad.sql", "CREATE TABLE b (x INTEGER); THIS IS NOT SQL;"}
	if err := migrateTo(t.Context(), db, []migration{m1, bad}); err == nil {
		t.Fatal("bad migration applied without error")
	}
	var n int
	err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM sqlite_schema WHERE name IN ('a', 'b', 'schema_version')").Scan(&n)
	if err != nil || n != 0 {
		t.Errorf("tables left by a failed migration: %d (%v), want none", n, err)
	}
}

func TestMigrateRefusesNewerDatabase(t *testing.T) {
	db := openRaw(t)
	m1 := migration{1, "0001_a.sql", "CREATE TABLE a (x INTEGER)"}
	m2 := migration{2, "0002_b.sql", "CREATE TABLE b (x INTEGER)"}
	if err := migrateTo(t.Context(), db, []migration{m1, m2}); err != nil {
		t.Fatal(err)
	}
	err := migrateTo(t.Context(), db, []migration{m1})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("older binary on a newer database: got %v, want a 'newer' error", err)
	}
}

func TestEmbeddedMigrationsNumbered(t *testing.T) {
	list, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("no embedded migrations")
	}
	for i, m := range list {
		if m.version != i+1 || !strings.HasSuffix(m.name, ".sql") {
			t.Errorf("migration %d = %+v", i, m)
		}
	}
}
