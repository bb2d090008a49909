package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

var _ storage.MFAStore = (*Store)(nil)

const mfaCols = `org_id, agent_id, pending_id, pending_secret, pending_at, secret, enabled_at,
	last_step, failures, next_attempt_at`

func scanMFA(sc scanner) (storage.MFAState, error) {
	var m storage.MFAState
	err := sc.Scan(&m.OrgID, &m.AgentID, &m.PendingID, &m.PendingSecret, at(&m.PendingAt), &m.Secret,
		at(&m.EnabledAt), &m.LastStep, &m.Failures, at(&m.NextAttemptAt))
	return m, translate(err)
}

// GetMFA returns the agent's second-factor record.
func (s *Store) GetMFA(ctx context.Context, orgID, agentID string) (storage.MFAState, error) {
	const q = "SELECT " + mfaCols + " FROM mfa WHERE org_id = ? AND agent_id = ?"
	m, err := scanMFA(s.r.QueryRowContext(ctx, q, orgID, agentID))
	if err != nil {
		return storage.MFAState{}, fmt.Errorf("get mfa: %w", err)
	}
	return m, nil
}

// BeginTOTP upserts the pending enrolment unless TOTP is enabled (the
// upsert's WHERE is the condition).
func (s *Store) BeginTOTP(ctx context.Context, p storage.PendingTOTP) error {
	if p.OrgID == "" || p.AgentID == "" || p.ID == "" || p.Secret == "" {
		return errors.New("begin totp: empty org, agent, id or secret")
	}
	const q = `INSERT INTO mfa (org_id, agent_id, pending_id, pending_secret, pending_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (org_id, agent_id) DO UPDATE SET pending_id = excluded.pending_id,
		pending_secret = excluded.pending_secret, pending_at = excluded.pending_at
		WHERE mfa.enabled_at IS NULL`
	err := s.execOne(ctx, q, p.OrgID, p.AgentID, p.ID, p.Secret, ms(p.CreatedAt))
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("begin totp: %w: already enabled", storage.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("begin totp: %w", err)
	}
	return nil
}

// EnableTOTP moves the pending secret to the enabled one and stores the
// backup codes in one transaction.
func (s *Store) EnableTOTP(ctx context.Context, orgID, agentID, pendingID string, step int64, codes []storage.BackupCode, at time.Time) error {
	if pendingID == "" {
		return errors.New("enable totp: empty pending id")
	}
	if err := checkBackupCodes(codes); err != nil {
		return fmt.Errorf("enable totp: %w", err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		const q = `UPDATE mfa SET secret = pending_secret, enabled_at = ?, last_step = ?,
			pending_id = '', pending_secret = '', pending_at = NULL
			WHERE org_id = ? AND agent_id = ? AND enabled_at IS NULL AND pending_id = ?`
		res, err := tx.ExecContext(ctx, q, at.UnixMilli(), step, orgID, agentID, pendingID)
		if err != nil {
			return translate(err)
		}
		if err := oneRow(res); err != nil {
			return mfaRefused(ctx, tx, orgID, agentID)
		}
		return replaceCodes(ctx, tx, orgID, agentID, codes)
	})
	if err != nil {
		return fmt.Errorf("enable totp: %w", err)
	}
	return nil
}

// mfaRefused tells, inside tx, a missing record (ErrNotFound) from one a
// condition refused (ErrConflict).
func mfaRefused(ctx context.Context, tx *sql.Tx, orgID, agentID string) error {
	var one int
	const q = "SELECT 1 FROM mfa WHERE org_id = ? AND agent_id = ?"
	if err := tx.QueryRowContext(ctx, q, orgID, agentID).Scan(&one); err != nil {
		return translate(err)
	}
	return fmt.Errorf("%w: refused by the record's state", storage.ErrConflict)
}

// checkBackupCodes refuses a set no backend may store.
func checkBackupCodes(codes []storage.BackupCode) error {
	if len(codes) > storage.MaxBackupCodes {
		return fmt.Errorf("%d backup codes, at most %d", len(codes), storage.MaxBackupCodes)
	}
	for _, c := range codes {
		if c.ID == "" || len(c.Hash) == 0 {
			return errors.New("backup code without id or hash")
		}
	}
	return nil
}

// replaceCodes deletes the agent's backup codes and inserts codes, in tx.
func replaceCodes(ctx context.Context, tx *sql.Tx, orgID, agentID string, codes []storage.BackupCode) error {
	const del = "DELETE FROM mfa_backup_codes WHERE org_id = ? AND agent_id = ?"
	if _, err := tx.ExecContext(ctx, del, orgID, agentID); err != nil {
		return translate(err)
	}
	const ins = `INSERT INTO mfa_backup_codes (id, org_id, agent_id, code_hash, created_at)
		VALUES (?, ?, ?, ?, ?)`
	for _, c := range codes {
		if _, err := tx.ExecContext(ctx, ins, c.ID, orgID, agentID, c.Hash, ms(c.CreatedAt)); err != nil {
			return translate(err)
		}
	}
	return nil
}

// DisableTOTP clears the secrets and last step and deletes the backup
// codes in one transaction.
func (s *Store) DisableTOTP(ctx context.Context, orgID, agentID string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		const q = `UPDATE mfa SET secret = '', enabled_at = NULL, last_step = 0, pending_id = '',
			pending_secret = '', pending_at = NULL
			WHERE org_id = ? AND agent_id = ? AND enabled_at IS NOT NULL`
		res, err := tx.ExecContext(ctx, q, orgID, agentID)
		if err != nil {
			return translate(err)
		}
		if err := oneRow(res); err != nil {
			return err
		}
		return replaceCodes(ctx, tx, orgID, agentID, nil)
	})
	if err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	return nil
}

// UseTOTPStep raises last_step to step in one conditional UPDATE.
func (s *Store) UseTOTPStep(ctx context.Context, orgID, agentID string, step int64) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		const q = `UPDATE mfa SET last_step = ? WHERE org_id = ? AND agent_id = ?
			AND enabled_at IS NOT NULL AND last_step < ?`
		res, err := tx.ExecContext(ctx, q, step, orgID, agentID, step)
		if err != nil {
			return translate(err)
		}
		if oneRow(res) == nil {
			return nil
		}
		const enabled = "SELECT 1 FROM mfa WHERE org_id = ? AND agent_id = ? AND enabled_at IS NOT NULL"
		var one int
		if err := tx.QueryRowContext(ctx, enabled, orgID, agentID).Scan(&one); err != nil {
			return translate(err)
		}
		return fmt.Errorf("%w: step already used", storage.ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("use totp step: %w", err)
	}
	return nil
}

func scanBackupCode(sc scanner) (storage.BackupCode, error) {
	var c storage.BackupCode
	err := sc.Scan(&c.ID, &c.Hash, at(&c.CreatedAt))
	return c, translate(err)
}

// ListBackupCodes returns the agent's unused codes, oldest first.
func (s *Store) ListBackupCodes(ctx context.Context, orgID, agentID string) ([]storage.BackupCode, error) {
	const q = `SELECT id, code_hash, created_at FROM mfa_backup_codes
		WHERE org_id = ? AND agent_id = ? AND used_at IS NULL ORDER BY created_at, rowid LIMIT ?`
	list, err := queryList(ctx, s.r, scanBackupCode, q, orgID, agentID, storage.MaxBackupCodes)
	if err != nil {
		return nil, fmt.Errorf("list backup codes: %w", err)
	}
	if list == nil {
		list = []storage.BackupCode{}
	}
	return list, nil
}

// ConsumeBackupCode marks the code used in one conditional UPDATE.
func (s *Store) ConsumeBackupCode(ctx context.Context, orgID, agentID, id string, at time.Time) error {
	const q = `UPDATE mfa_backup_codes SET used_at = ? WHERE id = ? AND org_id = ? AND agent_id = ?
		AND used_at IS NULL`
	if err := s.execOne(ctx, q, at.UnixMilli(), id, orgID, agentID); err != nil {
		return fmt.Errorf("consume backup code: %w", err)
	}
	return nil
}

// ReplaceBackupCodes replaces the codes in one transaction, if TOTP is on.
func (s *Store) ReplaceBackupCodes(ctx context.Context, orgID, agentID string, codes []storage.BackupCode) error {
	if err := checkBackupCodes(codes); err != nil {
		return fmt.Errorf("replace backup codes: %w", err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		const enabled = "SELECT 1 FROM mfa WHERE org_id = ? AND agent_id = ? AND enabled_at IS NOT NULL"
		var one int
		if err := tx.QueryRowContext(ctx, enabled, orgID, agentID).Scan(&one); err != nil {
			return translate(err)
		}
		return replaceCodes(ctx, tx, orgID, agentID, codes)
	})
	if err != nil {
		return fmt.Errorf("replace backup codes: %w", err)
	}
	return nil
}

// ChargeMFAAttempt counts an attempt in one conditional UPDATE.
func (s *Store) ChargeMFAAttempt(ctx context.Context, orgID, agentID string, seen int, now, next time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		const q = `UPDATE mfa SET failures = failures + 1, next_attempt_at = ?
			WHERE org_id = ? AND agent_id = ? AND failures = ? AND failures < ?
			AND (next_attempt_at IS NULL OR next_attempt_at <= ?)`
		res, err := tx.ExecContext(ctx, q, ms(next), orgID, agentID, seen, storage.MaxMFAFailures, now.UnixMilli())
		if err != nil {
			return translate(err)
		}
		if oneRow(res) == nil {
			return nil
		}
		return mfaRefused(ctx, tx, orgID, agentID)
	})
	if err != nil {
		return fmt.Errorf("charge mfa attempt: %w", err)
	}
	return nil
}

// ClearMFAFailures resets the counter and the backoff.
func (s *Store) ClearMFAFailures(ctx context.Context, orgID, agentID string) error {
	const q = `UPDATE mfa SET failures = 0, next_attempt_at = NULL WHERE org_id = ? AND agent_id = ?`
	if _, err := s.w.ExecContext(ctx, q, orgID, agentID); err != nil {
		return fmt.Errorf("clear mfa failures: %w", translate(err))
	}
	return nil
}

// eraseMFA deletes the agent's second factors, in the erasure's tx.
func eraseMFA(ctx context.Context, tx *sql.Tx, e storage.Erasure) error {
	if e.Kind != storage.SubjectAgent {
		return nil
	}
	for _, q := range []string{
		"DELETE FROM mfa WHERE org_id = ? AND agent_id = ?",
		"DELETE FROM mfa_backup_codes WHERE org_id = ? AND agent_id = ?",
	} {
		if _, err := tx.ExecContext(ctx, q, e.OrgID, e.SubjectID); err != nil {
			return translate(err)
		}
	}
	return nil
}
