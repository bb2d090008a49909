package storage

import (
	"context"
	"errors"
	"time"
)

// Passkey is an agent's registered WebAuthn credential (a discoverable
// "passkey"). Nothing in it is secret: the private key never leaves the
// authenticator, the public key only verifies, and the credential id is
// sent by the browser in the clear. Name is the label the agent chose.
type Passkey struct {
	ID           string // "psk_…", what the API names it by
	OrgID        string
	AgentID      string
	CredentialID []byte // the authenticator's credential id, unique across organisations
	Name         string
	PublicKey    []byte // COSE_Key as the authenticator returned it
	SignCount    uint32 // last signature counter seen (0: the authenticator keeps none)
	AAGUID       []byte // authenticator model (16 bytes; all zero when not disclosed)
	Transports   []string
	// Flags recorded at registration (BackupState is refreshed on use).
	UserVerified   bool
	BackupEligible bool
	BackupState    bool
	CreatedAt      time.Time
	LastUsedAt     time.Time // zero until the first sign-in with it
}

// MaxPasskeysPerAgent is the most passkeys one agent may register (the
// API checks it before registering one).
const MaxPasskeysPerAgent = 20

// MaxCredentialIDLen is the longest credential id WebAuthn allows (bytes).
const MaxCredentialIDLen = 1023

// PasskeyUse is one successful sign-in with passkey ID of OrgID, as
// RecordPasskeyUse writes it.
type PasskeyUse struct {
	OrgID       string
	ID          string
	SignCount   uint32 // the counter the authenticator reported
	BackupState bool
	At          time.Time
}

// SignCountAdvances reports whether counter next may follow stored (the
// WebAuthn rule, §7.2 step 21): when both are 0 the authenticator keeps no
// counter; otherwise next must be strictly greater. Anything else is a
// possible cloned authenticator.
func SignCountAdvances(stored, next uint32) bool {
	return (stored == 0 && next == 0) || next > stored
}

// CheckPasskey is the argument check of CreatePasskey every backend runs.
func CheckPasskey(p Passkey) error {
	switch {
	case p.ID == "" || p.OrgID == "" || p.AgentID == "":
		return errors.New("empty passkey, organisation or agent id")
	case len(p.CredentialID) == 0 || len(p.CredentialID) > MaxCredentialIDLen:
		return errors.New("credential id empty or too long")
	case len(p.PublicKey) == 0:
		return errors.New("empty public key")
	case p.CreatedAt.IsZero():
		return errors.New("zero creation time")
	}
	return nil
}

// PasskeyStore keeps agents' passkeys. The lookup by credential id is not
// organisation-scoped: the credential a browser presents identifies its
// tenant, as a token hash does. Every other method is scoped to an
// organisation and (except DeleteAgentPasskeys' caller, offboarding) to
// the agent who owns the passkey: another agent's passkey is ErrNotFound.
type PasskeyStore interface {
	// CreatePasskey stores a new passkey. ErrConflict if its id or its
	// credential id is taken (in any organisation).
	CreatePasskey(ctx context.Context, p Passkey) error
	// GetPasskeyByCredential returns the passkey with credentialID, in
	// whatever organisation. ErrNotFound if none.
	GetPasskeyByCredential(ctx context.Context, credentialID []byte) (Passkey, error)
	// ListPasskeys returns the agent's passkeys, oldest first.
	ListPasskeys(ctx context.Context, orgID, agentID string) ([]Passkey, error)
	// RenamePasskey sets the name of the agent's passkey id and returns it
	// as updated. ErrNotFound if the agent has no such passkey.
	RenamePasskey(ctx context.Context, orgID, agentID, id, name string) (Passkey, error)
	// DeletePasskey removes the agent's passkey id. ErrNotFound if the
	// agent has no such passkey.
	DeletePasskey(ctx context.Context, orgID, agentID, id string) error
	// DeleteAgentPasskeys removes every passkey of the agent (offboarding,
	// erasure) and returns how many it removed. An empty agent id is an
	// error.
	DeleteAgentPasskeys(ctx context.Context, orgID, agentID string) (int, error)
	// RecordPasskeyUse stores a sign-in with passkey u.ID of u.OrgID: the
	// sign count becomes u.SignCount, LastUsedAt u.At and BackupState
	// u.BackupState, in one conditional write that happens only if
	// SignCountAdvances(stored count, u.SignCount). ErrConflict when the
	// counter does not advance (nothing changes): a replayed or cloned
	// authenticator; of concurrent uses reporting one non-zero counter
	// value at most one succeeds. ErrNotFound if no such passkey.
	RecordPasskeyUse(ctx context.Context, u PasskeyUse) error
}
