package storage

import (
	"context"
	"time"
)

// OneTimePurpose says what a one-time token is for. A token is only ever
// looked up, charged or consumed together with its purpose, so a token of
// one kind is never accepted where another is expected.
type OneTimePurpose string

// One-time token purposes.
const (
	PurposeMagicLink        OneTimePurpose = "magic_link"        // sign-in link, 15 minutes
	PurposeMFATicket        OneTimePurpose = "mfa_ticket"        // password step done, second factor pending, 5 minutes
	PurposePasskeyChallenge OneTimePurpose = "passkey_challenge" // WebAuthn ceremony state, 5 minutes
	PurposeInvitation       OneTimePurpose = "invitation"        // team invitation link, 7 days
	PurposePasswordReset    OneTimePurpose = "password_reset"    // emailed 8-digit code, 10 minutes, 5 attempts
)

// OneTime is the stored form of a single-use secret: a link token, a
// ticket, a ceremony challenge or a short code. The secret itself is never
// stored: ID is derived from it (a hash) for tokens that are presented on
// their own, and CodeHash holds a keyed hash of a short code that is
// presented together with the account it belongs to (ID then names the
// account's one live code, so a new code replaces the old).
//
// A token is valid at time now while ConsumedAt is zero, now is before
// ExpiresAt (ExpiresAt itself is already too late) and, when MaxAttempts
// is positive, Attempts <= MaxAttempts.
type OneTime struct {
	ID        string
	Purpose   OneTimePurpose
	OrgID     string // "" only for tokens bound to no organisation yet
	SubjectID string // the agent it is for; "" when there is none yet (invitations)
	CodeHash  []byte // keyed hash of a short code; nil for tokens whose ID is their hash
	// Data is opaque to the store: whatever the flow needs back (an
	// invitation's role, a ceremony's session data). The security layer
	// seals anything sensitive in it before it reaches a backend.
	Data        string
	Attempts    int
	MaxAttempts int // 0: attempts are not counted
	CreatedAt   time.Time
	ExpiresAt   time.Time
	ConsumedAt  time.Time // zero until consumed or revoked
}

// Consumed reports whether the token was used or revoked.
func (o OneTime) Consumed() bool { return !o.ConsumedAt.IsZero() }

// ValidAt reports whether the token can still be used at now.
func (o OneTime) ValidAt(now time.Time) bool {
	return !o.Consumed() && now.Before(o.ExpiresAt) && (o.MaxAttempts <= 0 || o.Attempts <= o.MaxAttempts)
}

// OneTimeStore keeps one-time tokens. Lookups by (purpose, id) are not
// organisation-scoped: like a session token's hash, the id of a presented
// token identifies its tenant. Every method that changes a token is one
// conditional write, so concurrent callers agree on a single winner.
type OneTimeStore interface {
	// PutOneTime stores t, replacing any token with the same purpose and
	// id (a new reset code replaces the account's previous one).
	PutOneTime(ctx context.Context, t OneTime) error
	// GetOneTime returns the token of purpose with id as stored, consumed
	// and expired ones included (the caller decides). ErrNotFound if none.
	GetOneTime(ctx context.Context, purpose OneTimePurpose, id string) (OneTime, error)
	// ChargeOneTimeAttempt counts one attempt at a token with attempt
	// counting, before the caller compares the presented code: it
	// increments Attempts only if the token is unconsumed, unexpired at
	// now and Attempts < MaxAttempts, and returns the token as updated.
	// ErrConflict if it is used up, consumed or expired, or counts no
	// attempts (MaxAttempts 0) (nothing changes); ErrNotFound if none. Of n concurrent charges of a token with k
	// attempts left, exactly min(n, k) succeed.
	ChargeOneTimeAttempt(ctx context.Context, purpose OneTimePurpose, id string, now time.Time) (OneTime, error)
	// ConsumeOneTime sets ConsumedAt to now if the token is valid at now
	// (OneTime.ValidAt) and returns it as it was before; ErrConflict if it
	// is consumed or expired (nothing changes), ErrNotFound if none. Of
	// concurrent consumes of one token exactly one succeeds.
	ConsumeOneTime(ctx context.Context, purpose OneTimePurpose, id string, now time.Time) (OneTime, error)
	// ListOneTime returns the organisation's tokens of purpose that are
	// valid at now, newest first, at most 500 (pending invitations).
	ListOneTime(ctx context.Context, orgID string, purpose OneTimePurpose, now time.Time) ([]OneTime, error)
	// RevokeOneTime consumes (ConsumedAt = now) the organisation's token of
	// purpose with id if it is unconsumed; ErrNotFound if the organisation
	// has no such unconsumed token (revoking an invitation).
	RevokeOneTime(ctx context.Context, orgID string, purpose OneTimePurpose, id string, now time.Time) error
	// RevokeOneTimeForSubject consumes every unconsumed token of the given
	// purposes whose OrgID and SubjectID match (offboarding) and returns
	// how many it consumed. An empty subjectID is an error (it would name
	// every token bound to nobody); no purposes consume nothing.
	RevokeOneTimeForSubject(ctx context.Context, orgID, subjectID string, purposes []OneTimePurpose, now time.Time) (int, error)
	// DeleteExpiredOneTime removes tokens whose ExpiresAt is before
	// `before` and returns how many it removed.
	DeleteExpiredOneTime(ctx context.Context, before time.Time) (int, error)
}
