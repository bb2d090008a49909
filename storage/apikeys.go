package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// APIKey is a secret API key ("sk_…") of an organisation. It acts as its
// owner (the agent who created it), limited to its scopes. The key text is
// never stored in the clear: SecretHash is its keyed hash (the lookup
// key, security.FieldCipher.KeyedHash with purpose "api-key") and Secret
// the key sealed by the security layer (encrypted at rest; backends store
// it as they get it).
type APIKey struct {
	ID         string // "key_…"
	OrgID      string
	OwnerID    string // the agent the key acts as
	Name       string
	Prefix     string // the first 12 characters of the key, shown in lists
	Mode       string // "live" or "test"
	Scopes     []string
	SecretHash []byte // unique across organisations
	Secret     string // sealed by security.SealedStore
	RPM        int    // requests per minute
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	RevokedAt  time.Time // zero: not revoked
	LastUsedAt time.Time // zero: never used
	LastUsedIP string
	// RotatedFrom is the key this one replaced; ReplacedBy the key that
	// replaced this one (set by RotateAPIKey, at most one).
	RotatedFrom string
	ReplacedBy  string
}

// API key statuses (APIKey.Status).
const (
	APIKeyActive  = "active"
	APIKeyExpired = "expired"
	APIKeyRevoked = "revoked"
)

// Usable reports whether the key authorises requests at now: not revoked
// and now strictly before its expiry (if it has one).
func (k APIKey) Usable(now time.Time) bool {
	return k.RevokedAt.IsZero() && (k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt))
}

// Status is APIKeyRevoked, APIKeyExpired or APIKeyActive at now.
func (k APIKey) Status(now time.Time) string {
	switch {
	case !k.RevokedAt.IsZero():
		return APIKeyRevoked
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return APIKeyExpired
	default:
		return APIKeyActive
	}
}

// MaxAPIKeyHashes is the most hashes one GetAPIKeyByHash call takes (one
// per live blind-index key version).
const MaxAPIKeyHashes = 16

// APIKeyStore keeps secret API keys. Every method but GetAPIKeyByHash is
// scoped by organisation: another organisation's key is ErrNotFound.
type APIKeyStore interface {
	// CreateAPIKey stores a new key. ErrConflict if the id or the secret
	// hash is taken.
	CreateAPIKey(ctx context.Context, k APIKey) error
	// GetAPIKey returns key id of organisation orgID.
	GetAPIKey(ctx context.Context, orgID, id string) (APIKey, error)
	// GetAPIKeyByHash returns the key whose SecretHash is one of hashes
	// (several while blind-index keys rotate), across organisations: the
	// key identifies its tenant. One indexed read; revoked and expired keys
	// are returned as they are (the caller decides). ErrNotFound if none.
	GetAPIKeyByHash(ctx context.Context, hashes [][]byte) (APIKey, error)
	// ListAPIKeys returns the organisation's keys, newest first, revoked
	// and expired ones included.
	ListAPIKeys(ctx context.Context, orgID string) ([]APIKey, error)
	// RotateAPIKey stores next (whose RotatedFrom must be oldID) and sets
	// the old key's ReplacedBy to next.ID and its ExpiresAt to
	// oldExpiresAt, atomically, and only if the old key is neither revoked
	// nor replaced already: of concurrent rotations exactly one succeeds.
	// ErrConflict if it is revoked or replaced; ErrNotFound if orgID has no
	// key oldID.
	RotateAPIKey(ctx context.Context, orgID, oldID string, next APIKey, oldExpiresAt time.Time) error
	// RevokeAPIKey sets the key's RevokedAt to at if it is not revoked yet
	// (the first time is kept; revoking again is nil). ErrNotFound if
	// orgID has no key id.
	RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error
	// UpdateAPIKey replaces the key's name and rate limit. ErrNotFound if
	// orgID has no key id.
	UpdateAPIKey(ctx context.Context, orgID, id, name string, rpm int) error
	// TouchAPIKey records a use: LastUsedAt becomes at unless it is later
	// already (it never goes back), LastUsedIP ip with it. ErrNotFound if
	// orgID has no key id.
	TouchAPIKey(ctx context.Context, orgID, id string, at time.Time, ip string) error
}

// CheckAPIKey is the argument check of CreateAPIKey (and of the next key
// of RotateAPIKey) every backend runs.
func CheckAPIKey(k APIKey) error {
	switch {
	case k.ID == "" || k.OrgID == "" || k.OwnerID == "":
		return errors.New("api key: id, organisation and owner are required")
	case len(k.SecretHash) == 0:
		return errors.New("api key: secret hash is required")
	case len(k.Scopes) == 0:
		return errors.New("api key: at least one scope is required")
	case k.RPM <= 0:
		return fmt.Errorf("api key: rpm %d must be positive", k.RPM)
	case k.CreatedAt.IsZero():
		return errors.New("api key: creation time is required")
	case !k.RevokedAt.IsZero() || k.ReplacedBy != "":
		return errors.New("api key: a new key is neither revoked nor replaced")
	}
	return nil
}

// CheckAPIKeyRotation is the argument check of RotateAPIKey.
func CheckAPIKeyRotation(orgID, oldID string, next APIKey, oldExpiresAt time.Time) error {
	if err := CheckAPIKey(next); err != nil {
		return err
	}
	switch {
	case next.OrgID != orgID:
		return errors.New("rotate api key: next key of another organisation")
	case next.RotatedFrom != oldID || oldID == "" || next.ID == oldID:
		return errors.New("rotate api key: next key must name the old one in RotatedFrom")
	case oldExpiresAt.IsZero():
		return errors.New("rotate api key: the old key's new expiry is required")
	}
	return nil
}

// CheckAPIKeyHashes is the argument check of GetAPIKeyByHash.
func CheckAPIKeyHashes(hashes [][]byte) error {
	if len(hashes) == 0 || len(hashes) > MaxAPIKeyHashes {
		return fmt.Errorf("get api key by hash: %d hashes, want 1..%d", len(hashes), MaxAPIKeyHashes)
	}
	for _, h := range hashes {
		if len(h) == 0 {
			return errors.New("get api key by hash: empty hash")
		}
	}
	return nil
}
