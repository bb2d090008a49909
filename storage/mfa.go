package storage

import (
	"context"
	"time"
)

// MaxMFAFailures is how many consecutive second-factor failures an agent
// may ever have: at this count the second factor is locked until a
// password reset clears it (ClearMFAFailures; NIST SP 800-63B §5.2.2).
const MaxMFAFailures = 100

// PendingTOTP is a TOTP secret awaiting its first code (enrolment). The
// security layer seals Secret before it reaches a backend.
type PendingTOTP struct {
	OrgID   string
	AgentID string
	// ID names this enrolment, so that EnableTOTP enables exactly the
	// secret the first code was checked against, not one a concurrent
	// setup put in its place.
	ID        string
	Secret    string // base32, as in the otpauth:// URL
	CreatedAt time.Time
}

// MFAState is an agent's second-factor record. Secret and PendingSecret
// are sealed in a backend and opened by the security layer.
type MFAState struct {
	OrgID         string
	AgentID       string
	PendingID     string // "" when no enrolment is pending
	PendingSecret string
	PendingAt     time.Time
	Secret        string    // the enabled TOTP secret; "" when TOTP is off
	EnabledAt     time.Time // zero when TOTP is off
	// LastStep is the last accepted TOTP time step (RFC 6238 T): only a
	// later step is ever accepted again (UseTOTPStep).
	LastStep int64
	// Failures counts consecutive second-factor attempts that did not
	// succeed (ChargeMFAAttempt counts an attempt before its code is
	// compared; ClearMFAFailures resets it on success or password reset).
	Failures int
	// NextAttemptAt is the earliest time of the next attempt (backoff);
	// zero for no wait.
	NextAttemptAt time.Time
}

// Enabled reports whether TOTP is on.
func (m MFAState) Enabled() bool { return !m.EnabledAt.IsZero() }

// Locked reports whether the second factor has failed MaxMFAFailures
// times in a row (only a password reset unlocks it).
func (m MFAState) Locked() bool { return m.Failures >= MaxMFAFailures }

// BackupCode is one single-use backup code as stored: Hash is a keyed hash
// of the code (security.KeyedHash), never the code. ID is random, so that
// a code of a replaced set is gone, not merely unused.
type BackupCode struct {
	ID        string
	Hash      []byte
	CreatedAt time.Time
}

// MFAStore keeps agents' second factors: TOTP secrets (enrolment and
// enabled), the last accepted time step, backup codes and the
// second-factor failure counter, separate from the password login limits.
// Every change is one conditional write (one transaction where a backend
// has them), so concurrent callers agree on one winner. All methods are
// scoped by organisation and agent.
type MFAStore interface {
	// GetMFA returns the agent's record; ErrNotFound if it has none.
	GetMFA(ctx context.Context, orgID, agentID string) (MFAState, error)
	// BeginTOTP stores p as the agent's pending enrolment, replacing any
	// earlier pending one. ErrConflict if TOTP is already enabled.
	BeginTOTP(ctx context.Context, p PendingTOTP) error
	// EnableTOTP turns the pending secret named pendingID into the enabled
	// secret at `at`, records step as the last accepted step (so the
	// enrolment code is never accepted again) and replaces the agent's
	// backup codes with codes, atomically. ErrConflict if TOTP is enabled
	// or the pending enrolment is not pendingID; ErrNotFound if the agent
	// has no record.
	EnableTOTP(ctx context.Context, orgID, agentID, pendingID string, step int64, codes []BackupCode, at time.Time) error
	// DisableTOTP turns TOTP off: the secrets, the last step and every
	// backup code are removed (the failure counter stays). ErrNotFound if
	// TOTP is not enabled.
	DisableTOTP(ctx context.Context, orgID, agentID string) error
	// UseTOTPStep records step as accepted if TOTP is enabled and step is
	// after LastStep (a compare-and-set: of concurrent uses of one step
	// exactly one succeeds). ErrConflict if the step is not after
	// LastStep; ErrNotFound if TOTP is not enabled.
	UseTOTPStep(ctx context.Context, orgID, agentID string, step int64) error
	// ListBackupCodes returns the agent's unused backup codes (at most
	// MaxBackupCodes), oldest first; none is an empty list.
	ListBackupCodes(ctx context.Context, orgID, agentID string) ([]BackupCode, error)
	// ConsumeBackupCode uses the agent's backup code id, one conditional
	// write: of concurrent consumes exactly one succeeds. ErrNotFound if
	// there is no unused code id (used, replaced or never issued).
	ConsumeBackupCode(ctx context.Context, orgID, agentID, id string, at time.Time) error
	// ReplaceBackupCodes replaces every backup code of the agent with
	// codes. ErrNotFound if TOTP is not enabled.
	ReplaceBackupCodes(ctx context.Context, orgID, agentID string, codes []BackupCode) error
	// ChargeMFAAttempt counts one second-factor attempt before its code is
	// compared: Failures goes from seen to seen+1 and NextAttemptAt becomes
	// next, only if Failures is still seen, seen < MaxMFAFailures and
	// NextAttemptAt is not after now (a compare-and-set: of concurrent
	// charges that saw one count, one wins). ErrConflict otherwise;
	// ErrNotFound if the agent has no record.
	ChargeMFAAttempt(ctx context.Context, orgID, agentID string, seen int, now, next time.Time) error
	// ClearMFAFailures sets Failures to 0 and clears NextAttemptAt: after
	// a successful second factor, and on password reset (which lifts the
	// lock). No record is no error.
	ClearMFAFailures(ctx context.Context, orgID, agentID string) error
}

// MaxBackupCodes is the most backup codes an agent holds.
const MaxBackupCodes = 10
