package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

const apiKeyCols = `id, org_id, owner_id, name, prefix, mode, scopes, secret_hash, secret, rpm,
	created_at, expires_at, revoked_at, last_used_at, last_used_ip, rotated_from, replaced_by`

func scanAPIKey(sc scanner) (storage.APIKey, error) {
	var k storage.APIKey
	var scopes string
	var replaced sql.NullString
	err := sc.Scan(&k.ID, &k.OrgID, &k.OwnerID, &k.Name, &k.Prefix, &k.Mode, &scopes, &k.SecretHash,
		&k.Secret, &k.RPM, at(&k.CreatedAt), at(&k.ExpiresAt), at(&k.RevokedAt), at(&k.LastUsedAt),
		&k.LastUsedIP, &k.RotatedFrom, &replaced)
	if err != nil {
		return storage.APIKey{}, translate(err)
	}
	k.ReplacedBy = replaced.String
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return storage.APIKey{}, fmt.Errorf("scan api key scopes: %w", err)
	}
	return k, nil
}

// CreateAPIKey stores a new key; ErrConflict on a taken id or hash.
func (s *Store) CreateAPIKey(ctx context.Context, k storage.APIKey) error {
	if err := storage.CheckAPIKey(k); err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	if err := insertAPIKey(ctx, s.w, k); err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	return nil
}

func insertAPIKey(ctx context.Context, ex execer, k storage.APIKey) error {
	scopes, err := json.Marshal(k.Scopes)
	if err != nil {
		return err
	}
	const q = "INSERT INTO api_keys (" + apiKeyCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	_, err = ex.ExecContext(ctx, q, k.ID, k.OrgID, k.OwnerID, k.Name, k.Prefix, k.Mode, string(scopes),
		k.SecretHash, k.Secret, k.RPM, ms(k.CreatedAt), ms(k.ExpiresAt), ms(k.RevokedAt), ms(k.LastUsedAt),
		k.LastUsedIP, k.RotatedFrom, nullIfEmpty(k.ReplacedBy))
	return translate(err)
}

// GetAPIKey returns key id of organisation orgID.
func (s *Store) GetAPIKey(ctx context.Context, orgID, id string) (storage.APIKey, error) {
	const q = "SELECT " + apiKeyCols + " FROM api_keys WHERE id = ? AND org_id = ?"
	k, err := scanAPIKey(s.r.QueryRowContext(ctx, q, id, orgID))
	if err != nil {
		return storage.APIKey{}, fmt.Errorf("get api key %s: %w", id, err)
	}
	return k, nil
}

// GetAPIKeyByHash returns the key with one of hashes (any organisation),
// one read of the secret_hash index.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hashes [][]byte) (storage.APIKey, error) {
	if err := storage.CheckAPIKeyHashes(hashes); err != nil {
		return storage.APIKey{}, err
	}
	args := make([]any, len(hashes))
	for i, h := range hashes {
		args[i] = h
	}
	q := "SELECT " + apiKeyCols + " FROM api_keys WHERE secret_hash IN (?" +
		strings.Repeat(", ?", len(hashes)-1) + ") LIMIT 1"
	k, err := scanAPIKey(s.r.QueryRowContext(ctx, q, args...))
	if err != nil {
		return storage.APIKey{}, fmt.Errorf("get api key by hash: %w", err)
	}
	return k, nil
}

// ListAPIKeys returns the organisation's keys, newest first.
func (s *Store) ListAPIKeys(ctx context.Context, orgID string) ([]storage.APIKey, error) {
	const q = "SELECT " + apiKeyCols + " FROM api_keys WHERE org_id = ? ORDER BY created_at DESC, rowid DESC"
	list, err := queryList(ctx, s.r, scanAPIKey, q, orgID)
	if err != nil {
		return nil, fmt.Errorf("list api keys of %s: %w", orgID, err)
	}
	return list, nil
}

// RotateAPIKey marks the old key replaced (a conditional UPDATE) and
// inserts next, in one transaction.
func (s *Store) RotateAPIKey(ctx context.Context, orgID, oldID string, next storage.APIKey, oldExpiresAt time.Time) error {
	if err := storage.CheckAPIKeyRotation(orgID, oldID, next, oldExpiresAt); err != nil {
		return err
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		const q = `UPDATE api_keys SET replaced_by = ?, expires_at = ?
			WHERE id = ? AND org_id = ? AND replaced_by IS NULL AND revoked_at IS NULL`
		res, err := tx.ExecContext(ctx, q, next.ID, ms(oldExpiresAt), oldID, orgID)
		if err != nil {
			return translate(err)
		}
		if err := oneRow(res); err != nil {
			return rotateRefused(ctx, tx, orgID, oldID)
		}
		return insertAPIKey(ctx, tx, next)
	})
	if err != nil {
		return fmt.Errorf("rotate api key %s: %w", oldID, err)
	}
	return nil
}

// rotateRefused tells a missing key (ErrNotFound) from a revoked or
// replaced one (ErrConflict).
func rotateRefused(ctx context.Context, tx *sql.Tx, orgID, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM api_keys WHERE id = ? AND org_id = ?", id, orgID).Scan(&one)
	if err := translate(err); err != nil {
		return err
	}
	return fmt.Errorf("%w: key already rotated or revoked", storage.ErrConflict)
}

// RevokeAPIKey sets revoked_at once (COALESCE keeps the first time).
func (s *Store) RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error {
	if at.IsZero() {
		return errors.New("revoke api key: zero time")
	}
	const q = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND org_id = ?"
	if err := s.execOne(ctx, q, ms(at), id, orgID); err != nil {
		return fmt.Errorf("revoke api key %s: %w", id, err)
	}
	return nil
}

// UpdateAPIKey replaces the key's name and rpm.
func (s *Store) UpdateAPIKey(ctx context.Context, orgID, id, name string, rpm int) error {
	if rpm <= 0 {
		return fmt.Errorf("update api key: rpm %d must be positive", rpm)
	}
	const q = "UPDATE api_keys SET name = ?, rpm = ? WHERE id = ? AND org_id = ?"
	if err := s.execOne(ctx, q, name, rpm, id, orgID); err != nil {
		return fmt.Errorf("update api key %s: %w", id, err)
	}
	return nil
}

// TouchAPIKey records a use; last_used_at never goes back.
func (s *Store) TouchAPIKey(ctx context.Context, orgID, id string, at time.Time, ip string) error {
	if at.IsZero() {
		return errors.New("touch api key: zero time")
	}
	const q = `UPDATE api_keys SET last_used_at = ?, last_used_ip = ?
		WHERE id = ? AND org_id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`
	res, err := s.w.ExecContext(ctx, q, ms(at), ip, id, orgID, ms(at))
	if err != nil {
		return fmt.Errorf("touch api key %s: %w", id, translate(err))
	}
	if oneRow(res) == nil {
		return nil
	}
	if _, err := s.GetAPIKey(ctx, orgID, id); err != nil { // a later use is kept; a missing key is not found
		return fmt.Errorf("touch api key: %w", err)
	}
	return nil
}
