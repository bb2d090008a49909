package security

import "context"

// The storage.MetaStore methods of SealedStore, written out (no embedding):
// each is a one-line delegation to the backend.

// Meta passes through: store metadata (the keyring fingerprint) carries no
// visitor PII and no key material.
func (s *SealedStore) Meta(ctx context.Context, name string) (string, error) {
	return s.inner.Meta(ctx, name)
}

// SwapMeta passes through: store metadata carries no visitor PII and no
// key material.
func (s *SealedStore) SwapMeta(ctx context.Context, name, old, value string) (bool, error) {
	return s.inner.SwapMeta(ctx, name, old, value)
}
