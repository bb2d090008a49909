package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Meta returns the value stored under name, storage.ErrNotFound if none is.
func (s *Store) Meta(ctx context.Context, name string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE name = ?", name).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("meta %s: %w", name, translate(err))
	}
	return v, nil
}

// SwapMeta sets name to value if its current value is old ("" for none), in
// one transaction on the single write connection, and reports whether it
// wrote.
func (s *Store) SwapMeta(ctx context.Context, name, old, value string) (bool, error) {
	if value == "" {
		return false, fmt.Errorf("swap meta %s: empty value", name)
	}
	swapped := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE name = ?", name).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return translate(err)
		}
		if cur != old {
			return nil
		}
		const q = "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
		if _, err := tx.ExecContext(ctx, q, name, value); err != nil {
			return translate(err)
		}
		swapped = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("swap meta %s: %w", name, err)
	}
	return swapped, nil
}
