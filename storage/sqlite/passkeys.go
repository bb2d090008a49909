package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

const passkeyCols = `id, org_id, agent_id, credential_id, name, public_key, sign_count, aaguid,
	transports, user_verified, backup_eligible, backup_state, created_at, last_used_at`

func scanPasskey(sc scanner) (storage.Passkey, error) {
	var p storage.Passkey
	var transports string
	var count int64
	err := sc.Scan(&p.ID, &p.OrgID, &p.AgentID, &p.CredentialID, &p.Name, &p.PublicKey, &count,
		&p.AAGUID, &transports, &p.UserVerified, &p.BackupEligible, &p.BackupState,
		at(&p.CreatedAt), at(&p.LastUsedAt))
	if err != nil {
		return storage.Passkey{}, translate(err)
	}
	p.SignCount = uint32(count)
	if err := json.Unmarshal([]byte(transports), &p.Transports); err != nil {
		return storage.Passkey{}, fmt.Errorf("scan passkey transports: %w", err)
	}
	if len(p.Transports) == 0 {
		p.Transports = nil
	}
	return p, nil
}

// CreatePasskey stores a new passkey; ErrConflict on a taken id or
// credential id.
func (s *Store) CreatePasskey(ctx context.Context, p storage.Passkey) error {
	if err := storage.CheckPasskey(p); err != nil {
		return fmt.Errorf("create passkey: %w", err)
	}
	transports, err := json.Marshal(p.Transports)
	if err != nil {
		return fmt.Errorf("create passkey: %w", err)
	}
	if p.Transports == nil {
		transports = []byte("[]")
	}
	const q = "INSERT INTO passkeys (" + passkeyCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	_, err = s.w.ExecContext(ctx, q, p.ID, p.OrgID, p.AgentID, p.CredentialID, p.Name, p.PublicKey,
		int64(p.SignCount), p.AAGUID, string(transports), p.UserVerified, p.BackupEligible,
		p.BackupState, ms(p.CreatedAt), ms(p.LastUsedAt))
	if err != nil {
		return fmt.Errorf("create passkey: %w", translate(err))
	}
	return nil
}

// GetPasskeyByCredential returns the passkey with credentialID (any
// organisation).
func (s *Store) GetPasskeyByCredential(ctx context.Context, credentialID []byte) (storage.Passkey, error) {
	const q = "SELECT " + passkeyCols + " FROM passkeys WHERE credential_id = ?"
	p, err := scanPasskey(s.r.QueryRowContext(ctx, q, credentialID))
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("get passkey by credential: %w", err)
	}
	return p, nil
}

// ListPasskeys returns the agent's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, orgID, agentID string) ([]storage.Passkey, error) {
	const q = "SELECT " + passkeyCols + ` FROM passkeys WHERE org_id = ? AND agent_id = ?
		ORDER BY created_at, rowid LIMIT ?`
	list, err := queryList(ctx, s.r, scanPasskey, q, orgID, agentID, storage.MaxPasskeysPerAgent*2)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return list, nil
}

// RenamePasskey renames the agent's passkey in one UPDATE … RETURNING.
func (s *Store) RenamePasskey(ctx context.Context, orgID, agentID, id, name string) (storage.Passkey, error) {
	const q = "UPDATE passkeys SET name = ? WHERE id = ? AND org_id = ? AND agent_id = ? RETURNING " + passkeyCols
	p, err := scanPasskey(s.w.QueryRowContext(ctx, q, name, id, orgID, agentID))
	if err != nil {
		return storage.Passkey{}, fmt.Errorf("rename passkey: %w", err)
	}
	return p, nil
}

// DeletePasskey removes the agent's passkey; ErrNotFound if none matched.
func (s *Store) DeletePasskey(ctx context.Context, orgID, agentID, id string) error {
	const q = "DELETE FROM passkeys WHERE id = ? AND org_id = ? AND agent_id = ?"
	if err := s.execOne(ctx, q, id, orgID, agentID); err != nil {
		return fmt.Errorf("delete passkey: %w", err)
	}
	return nil
}

// DeleteAgentPasskeys removes every passkey of the agent.
func (s *Store) DeleteAgentPasskeys(ctx context.Context, orgID, agentID string) (int, error) {
	if agentID == "" {
		return 0, errors.New("delete agent passkeys: empty agent id")
	}
	n, err := deleteAgentPasskeys(ctx, s.w, orgID, agentID)
	if err != nil {
		return 0, fmt.Errorf("delete agent passkeys: %w", err)
	}
	return n, nil
}

// deleteAgentPasskeys deletes the agent's passkeys through ex (the store
// or an erasure's transaction).
func deleteAgentPasskeys(ctx context.Context, ex execer, orgID, agentID string) (int, error) {
	res, err := ex.ExecContext(ctx, "DELETE FROM passkeys WHERE org_id = ? AND agent_id = ?", orgID, agentID)
	if err != nil {
		return 0, translate(err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// RecordPasskeyUse advances the sign count in one conditional UPDATE
// (storage.SignCountAdvances as SQL); when it matches nothing, a read in
// the same transaction tells a missing passkey (ErrNotFound) from a
// counter that did not advance (ErrConflict).
func (s *Store) RecordPasskeyUse(ctx context.Context, u storage.PasskeyUse) error {
	const q = `UPDATE passkeys SET sign_count = ?, last_used_at = ?, backup_state = ?
		WHERE id = ? AND org_id = ? AND ((sign_count = 0 AND ? = 0) OR sign_count < ?)`
	n := int64(u.SignCount)
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, n, ms(u.At), u.BackupState, u.ID, u.OrgID, n, n)
		if err != nil {
			return translate(err)
		}
		if oneRow(res) == nil {
			return nil
		}
		var one int
		const exists = "SELECT 1 FROM passkeys WHERE id = ? AND org_id = ?"
		if err := tx.QueryRowContext(ctx, exists, u.ID, u.OrgID).Scan(&one); err != nil {
			return translate(err)
		}
		return fmt.Errorf("%w: sign count did not advance", storage.ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("record passkey use: %w", err)
	}
	return nil
}

// erasePasskeys deletes an erased agent's passkeys in the erasure's
// transaction (a visitor has none).
func erasePasskeys(ctx context.Context, tx *sql.Tx, e storage.Erasure) error {
	if e.Kind != storage.SubjectAgent {
		return nil
	}
	_, err := deleteAgentPasskeys(ctx, tx, e.OrgID, e.SubjectID)
	return err
}
