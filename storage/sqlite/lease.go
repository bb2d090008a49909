package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// queryIDs runs q in tx and returns the single string column of its rows.
func queryIDs(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err)
		}
		ids = append(ids, id)
	}
	return ids, translate(rows.Err())
}

// leaseInOrder claims the queue rows ids (the mail queue, webhook
// deliveries) in tx: set is the UPDATE up to its WHERE, with one
// placeholder, for until ("UPDATE t SET attempts = attempts + 1, lease = ?"),
// cols the RETURNING columns that scan reads and id names a row by. The
// claimed rows come back in the order of ids (the due order), whatever
// order RETURNING yields.
func leaseInOrder[T any](ctx context.Context, tx *sql.Tx, set, cols string, ids []string, until time.Time,
	scan func(scanner) (T, error), id func(T) string) ([]T, error) {
	args := []any{until.UnixMilli()}
	for _, id := range ids {
		args = append(args, id)
	}
	q := set + " WHERE id IN (?" + strings.Repeat(", ?", len(ids)-1) + ") RETURNING " + cols
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	byID := make(map[string]T, len(ids))
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		byID[id(v)] = v
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	out := make([]T, 0, len(ids))
	for _, i := range ids {
		out = append(out, byID[i])
	}
	return out, nil
}
