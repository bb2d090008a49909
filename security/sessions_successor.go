package security

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SuccessorSealer seals the successor pair of a rotated refresh token for
// the grace window (see Sessions.Refresh). Open must fail for a sealed
// value presented with another recordID or field than it was sealed with.
// *FieldCipher implements it (AES-256-GCM under the keyring's pii key, the
// record id and field bound as associated data); every node must use the
// same keyring. It must be safe for concurrent use.
type SuccessorSealer interface {
	Seal(plaintext, recordID, field string) (string, error)
	Open(sealed, recordID, field string) (string, error)
}

var _ SuccessorSealer = (*FieldCipher)(nil)

// fieldSuccessor is the field name bound into a sealed successor.
const fieldSuccessor = "refresh.successor"

// ErrNoSuccessor: a refresh token rotated within the grace window whose
// sealed successor is not in the store, or does not open here (another
// keyring, or the value was moved from another row). The token's family is
// not revoked; the caller gets 401 for this request only.
var ErrNoSuccessor = errors.New("security: successor of a rotated refresh token unavailable")

// successorRecord is the record id a successor is sealed for: the rotated
// token's hash (fixed-length hex) and its session, so a sealed value copied
// to another row or session does not open.
func successorRecord(oldHash [32]byte, sessionID string) string {
	return hex.EncodeToString(oldHash[:]) + "." + sessionID
}

// sealSuccessor seals the pair refresh, access for the row of oldHash.
func (s *Sessions) sealSuccessor(oldHash [32]byte, sessionID, refresh, access string) (string, error) {
	sealed, err := s.sealer.Seal(refresh+" "+access, successorRecord(oldHash, sessionID), fieldSuccessor)
	if err != nil {
		return "", fmt.Errorf("refresh: seal successor: %w", err)
	}
	return sealed, nil
}

// openSuccessor opens what sealSuccessor sealed for the row of oldHash and
// checks both tokens' shapes.
func (s *Sessions) openSuccessor(oldHash [32]byte, sessionID, sealed string) (refresh, access string, err error) {
	if sealed == "" {
		return "", "", fmt.Errorf("refresh: no sealed successor stored: %w", ErrNoSuccessor)
	}
	pair, err := s.sealer.Open(sealed, successorRecord(oldHash, sessionID), fieldSuccessor)
	if err != nil {
		return "", "", fmt.Errorf("refresh: open successor (is the keyring the same on every node?): %w: %w", ErrNoSuccessor, err)
	}
	refresh, access, ok := strings.Cut(pair, " ")
	if !ok || !wellFormed(refresh, RefreshPrefix) || !wellFormed(access, AccessPrefix) {
		return "", "", fmt.Errorf("refresh: sealed successor is not a token pair: %w", ErrNoSuccessor)
	}
	return refresh, access, nil
}

// ephemeralSealer returns a FieldCipher over a new in-memory keyring: the
// SessionsConfig.Sealer of a single process that passes none.
func ephemeralSealer(now time.Time) (SuccessorSealer, error) {
	k, err := NewKeyring(now)
	if err != nil {
		return nil, fmt.Errorf("ephemeral successor key: %w", err)
	}
	return NewFieldCipher(k)
}
