package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered schema change, migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations in version order.
func loadMigrations() ([]migration, error) {
	entries, err := migrationFS.ReadDir("migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var list []migration
	for _, e := range entries {
		m, err := readMigration(e.Name())
		if err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	for i, m := range list {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", m.name, i+1)
		}
	}
	return list, nil
}

func readMigration(name string) (migration, error) {
	num, _, ok := strings.Cut(name, "_")
	v, err := strconv.Atoi(num)
	if !ok || err != nil || v <= 0 {
		return migration{}, fmt.Errorf("migration %s: name must start with a positive number and '_'", name)
	}
	b, err := migrationFS.ReadFile(path.Join("migrations", name))
	if err != nil {
		return migration{}, fmt.Errorf("read migration %s: %w", name, err)
	}
	return migration{version: v, name: name, sql: string(b)}, nil
}

// migrate applies, in one transaction, every embedded migration newer than
// the database's schema version, recording each in schema_version.
func migrate(ctx context.Context, db *sql.DB) error {
	list, err := loadMigrations()
	if err != nil {
		return err
	}
	return migrateTo(ctx, db, list)
}

// migrateTo applies the migrations of list (in version order, numbered
// from 1) that the database lacks.
func migrateTo(ctx context.Context, db *sql.DB, list []migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := applyPending(ctx, tx, list); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

func applyPending(ctx context.Context, tx *sql.Tx, list []migration) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	var current int
	err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&current)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(list) {
		return fmt.Errorf("database schema version %d is newer than this binary's %d", current, len(list))
	}
	for _, m := range list[current:] {
		if err := apply(ctx, tx, m); err != nil {
			return err
		}
	}
	return nil
}

// postMigrate holds, by version, Go steps that finish a migration in its
// transaction, after its SQL: what SQL alone cannot compute.
var postMigrate = map[int]func(ctx context.Context, tx *sql.Tx) error{
	12: chainLegacyAudit, // hashes of the events written before the chain
}

func apply(ctx context.Context, tx *sql.Tx, m migration) error {
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("apply %s: %w", m.name, err)
	}
	if step := postMigrate[m.version]; step != nil {
		if err := step(ctx, tx); err != nil {
			return fmt.Errorf("apply %s: %w", m.name, err)
		}
	}
	const record = "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"
	if _, err := tx.ExecContext(ctx, record, m.version, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("record %s: %w", m.name, err)
	}
	return nil
}
