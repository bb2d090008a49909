package security

import (
	"context"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.APIKeyStore methods of SealedStore: an API key's Secret (the
// key text, encrypted at rest) is sealed on the way in, bound to the key's
// id, and opened on the way out. SecretHash is a keyed hash already;
// LastUsedIP passes through like a session's IP (sessions do not seal
// theirs); everything else is bookkeeping.

// fieldAPIKeySecret names an API key's secret in the associated data of
// its sealed form.
const fieldAPIKeySecret = "api_key.secret"

// sealAPIKey seals k.Secret for k.ID.
func (s *SealedStore) sealAPIKey(k storage.APIKey) (storage.APIKey, error) {
	sealed, err := s.c.Seal(k.Secret, k.ID, fieldAPIKeySecret)
	if err != nil {
		return storage.APIKey{}, err
	}
	k.Secret = sealed
	return k, nil
}

// openAPIKey opens k.Secret.
func (s *SealedStore) openAPIKey(k storage.APIKey) (storage.APIKey, error) {
	open, err := s.c.Open(k.Secret, k.ID, fieldAPIKeySecret)
	if err != nil {
		return storage.APIKey{}, err
	}
	k.Secret = open
	return k, nil
}

// CreateAPIKey seals k.Secret and stores the key.
func (s *SealedStore) CreateAPIKey(ctx context.Context, k storage.APIKey) error {
	sealed, err := s.sealAPIKey(k)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	return s.inner.CreateAPIKey(ctx, sealed)
}

// GetAPIKey returns the key with its secret opened.
func (s *SealedStore) GetAPIKey(ctx context.Context, orgID, id string) (storage.APIKey, error) {
	k, err := s.inner.GetAPIKey(ctx, orgID, id)
	if err != nil {
		return storage.APIKey{}, err
	}
	if k, err = s.openAPIKey(k); err != nil {
		return storage.APIKey{}, fmt.Errorf("get api key: %w", err)
	}
	return k, nil
}

// GetAPIKeyByHash returns the key with its secret opened.
func (s *SealedStore) GetAPIKeyByHash(ctx context.Context, hashes [][]byte) (storage.APIKey, error) {
	k, err := s.inner.GetAPIKeyByHash(ctx, hashes)
	if err != nil {
		return storage.APIKey{}, err
	}
	if k, err = s.openAPIKey(k); err != nil {
		return storage.APIKey{}, fmt.Errorf("get api key by hash: %w", err)
	}
	return k, nil
}

// ListAPIKeys returns the keys with their secrets opened.
func (s *SealedStore) ListAPIKeys(ctx context.Context, orgID string) ([]storage.APIKey, error) {
	list, err := s.inner.ListAPIKeys(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i], err = s.openAPIKey(list[i]); err != nil {
			return nil, fmt.Errorf("list api keys: %w", err)
		}
	}
	return list, nil
}

// RotateAPIKey seals next.Secret and rotates.
func (s *SealedStore) RotateAPIKey(ctx context.Context, orgID, oldID string, next storage.APIKey, oldExpiresAt time.Time) error {
	sealed, err := s.sealAPIKey(next)
	if err != nil {
		return fmt.Errorf("rotate api key: %w", err)
	}
	return s.inner.RotateAPIKey(ctx, orgID, oldID, sealed, oldExpiresAt)
}

// RevokeAPIKey passes through: it carries no secret.
func (s *SealedStore) RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error {
	return s.inner.RevokeAPIKey(ctx, orgID, id, at)
}

// UpdateAPIKey passes through: it carries no secret.
func (s *SealedStore) UpdateAPIKey(ctx context.Context, orgID, id, name string, rpm int) error {
	return s.inner.UpdateAPIKey(ctx, orgID, id, name, rpm)
}

// TouchAPIKey passes through: it carries no secret (the IP is stored like
// a session's).
func (s *SealedStore) TouchAPIKey(ctx context.Context, orgID, id string, at time.Time, ip string) error {
	return s.inner.TouchAPIKey(ctx, orgID, id, at, ip)
}

// KeyedHashes is FieldCipher.KeyedHashes under the store's keyring: the
// lookup hashes of an API key under every live blind-index version.
func (s *SealedStore) KeyedHashes(purpose, value string) [][]byte {
	return s.c.KeyedHashes(purpose, value)
}
