package security

import (
	"context"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.MFAStore methods of SealedStore: TOTP secrets are sealed on
// the way in (BeginTOTP) and opened on the way out (GetMFA). The backend
// moves a pending secret to the enabled one as it is (EnableTOTP), so both
// are sealed under one field name, bound to the agent. Backup codes are
// keyed hashes already; everything else is bookkeeping and passes through.

// fieldTOTPSecret names a TOTP secret (pending or enabled) in the
// associated data of its sealed form.
const fieldTOTPSecret = "mfa.totp_secret"

// mfaRecord is the record id a TOTP secret is bound to: its agent, so a
// sealed secret copied onto another agent does not open.
func mfaRecord(orgID, agentID string) string { return orgID + "/" + agentID }

// BeginTOTP seals p.Secret and stores the pending enrolment.
func (s *SealedStore) BeginTOTP(ctx context.Context, p storage.PendingTOTP) error {
	if p.OrgID == "" || p.AgentID == "" {
		return fmt.Errorf("begin totp: empty organisation or agent")
	}
	sealed, err := s.c.Seal(p.Secret, mfaRecord(p.OrgID, p.AgentID), fieldTOTPSecret)
	if err != nil {
		return fmt.Errorf("begin totp: %w", err)
	}
	p.Secret = sealed
	return s.inner.BeginTOTP(ctx, p)
}

// GetMFA returns the record with both secrets opened.
func (s *SealedStore) GetMFA(ctx context.Context, orgID, agentID string) (storage.MFAState, error) {
	m, err := s.inner.GetMFA(ctx, orgID, agentID)
	if err != nil {
		return storage.MFAState{}, err
	}
	rec := mfaRecord(m.OrgID, m.AgentID)
	if m.PendingSecret, err = s.c.Open(m.PendingSecret, rec, fieldTOTPSecret); err != nil {
		return storage.MFAState{}, fmt.Errorf("get mfa: pending secret: %w", err)
	}
	if m.Secret, err = s.c.Open(m.Secret, rec, fieldTOTPSecret); err != nil {
		return storage.MFAState{}, fmt.Errorf("get mfa: secret: %w", err)
	}
	return m, nil
}

// EnableTOTP passes through: the backend moves the sealed pending secret.
func (s *SealedStore) EnableTOTP(ctx context.Context, orgID, agentID, pendingID string, step int64, codes []storage.BackupCode, at time.Time) error {
	return s.inner.EnableTOTP(ctx, orgID, agentID, pendingID, step, codes, at)
}

// DisableTOTP passes through: it carries no secret.
func (s *SealedStore) DisableTOTP(ctx context.Context, orgID, agentID string) error {
	return s.inner.DisableTOTP(ctx, orgID, agentID)
}

// UseTOTPStep passes through: it carries no secret.
func (s *SealedStore) UseTOTPStep(ctx context.Context, orgID, agentID string, step int64) error {
	return s.inner.UseTOTPStep(ctx, orgID, agentID, step)
}

// ListBackupCodes passes through: codes are keyed hashes.
func (s *SealedStore) ListBackupCodes(ctx context.Context, orgID, agentID string) ([]storage.BackupCode, error) {
	return s.inner.ListBackupCodes(ctx, orgID, agentID)
}

// ConsumeBackupCode passes through: it carries no secret.
func (s *SealedStore) ConsumeBackupCode(ctx context.Context, orgID, agentID, id string, at time.Time) error {
	return s.inner.ConsumeBackupCode(ctx, orgID, agentID, id, at)
}

// ReplaceBackupCodes passes through: codes are keyed hashes.
func (s *SealedStore) ReplaceBackupCodes(ctx context.Context, orgID, agentID string, codes []storage.BackupCode) error {
	return s.inner.ReplaceBackupCodes(ctx, orgID, agentID, codes)
}

// ChargeMFAAttempt passes through: it carries no secret.
func (s *SealedStore) ChargeMFAAttempt(ctx context.Context, orgID, agentID string, seen int, now, next time.Time) error {
	return s.inner.ChargeMFAAttempt(ctx, orgID, agentID, seen, now, next)
}

// ClearMFAFailures passes through: it carries no secret.
func (s *SealedStore) ClearMFAFailures(ctx context.Context, orgID, agentID string) error {
	return s.inner.ClearMFAFailures(ctx, orgID, agentID)
}
