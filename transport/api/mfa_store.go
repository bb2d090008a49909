package api

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// mfaStore is what two-factor enrolment and the second sign-in step use
// (mfa.go, mfa_check.go, mfa_verify.go, signin.go): the agent's second
// factors (secrets opened by the SealedStore) and the one-time tickets
// between the two steps.
type mfaStore interface {
	GetMFA(ctx context.Context, orgID, agentID string) (storage.MFAState, error)
	BeginTOTP(ctx context.Context, p storage.PendingTOTP) error
	EnableTOTP(ctx context.Context, orgID, agentID, pendingID string, step int64, codes []storage.BackupCode, at time.Time) error
	DisableTOTP(ctx context.Context, orgID, agentID string) error
	UseTOTPStep(ctx context.Context, orgID, agentID string, step int64) error
	ListBackupCodes(ctx context.Context, orgID, agentID string) ([]storage.BackupCode, error)
	ConsumeBackupCode(ctx context.Context, orgID, agentID, id string, at time.Time) error
	ReplaceBackupCodes(ctx context.Context, orgID, agentID string, codes []storage.BackupCode) error
	ChargeMFAAttempt(ctx context.Context, orgID, agentID string, seen int, now, next time.Time) error
	ClearMFAFailures(ctx context.Context, orgID, agentID string) error

	PutOneTime(ctx context.Context, t storage.OneTime) error
	ChargeOneTimeAttempt(ctx context.Context, purpose storage.OneTimePurpose, id string, now time.Time) (storage.OneTime, error)
	ConsumeOneTime(ctx context.Context, purpose storage.OneTimePurpose, id string, now time.Time) (storage.OneTime, error)
}
