package security

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
)

// Field names bound into the associated data of sealed visitor fields.
const (
	fieldVisitorName  = "visitor.name"
	fieldVisitorEmail = "visitor.email"
	fieldVisitorPhone = "visitor.phone"
)

// SealedStore is a storage.Store that encrypts visitor PII above any
// backend: CreateVisitor and UpdateVisitor seal Name, Email and Phone under
// the current pii key (record id = visitor id) and set EmailIndex to the
// email's blind index; GetVisitor and FindVisitorByEmailIndex open them. A
// value that does not open is an error naming the visitor and field, never
// an empty or garbled field. ScanVisitors returns sealed values (it is for
// maintenance); every other method carries no PII and is a one-line
// delegation. Because every write seals with the current key, a record
// moves to a new key version when it is next written. Safe for concurrent
// use.
//
// The backend is a named, unexported field, never embedded: a method added
// to storage.Store does not pass through by promotion but fails to compile
// here until it is written out (sealed_store_<interface>.go, one file per
// storage interface), and TestSealedStorePIIMethods fails when a method
// whose arguments or results carry a storage.Visitor is not on its list of
// sealed methods.
type SealedStore struct {
	inner storage.Store
	c     *FieldCipher
}

var (
	_ storage.Store = (*SealedStore)(nil)
	_ Sealed        = (*SealedStore)(nil)
)

// Sealed is implemented only by stores that seal visitor PII before it
// reaches a backend. Its method is unexported, so no type outside package
// security can declare it: a consumer that requires Sealed in its store
// interface (transport/api.Store, the web front end's widget finder) cannot
// be handed a raw sqlite or mongo store — that is a compile error, not a
// comment. A type elsewhere gets the method only by embedding a
// *SealedStore (or a Sealed value), and then every call it does not
// override still goes through the sealing store: tests use that to inject
// faults.
type Sealed interface {
	sealsPII()
}

// sealsPII marks SealedStore as Sealed.
func (*SealedStore) sealsPII() {}

// NewSealedStore wraps inner, sealing visitor PII with c.
func NewSealedStore(inner storage.Store, c *FieldCipher) *SealedStore {
	return &SealedStore{inner: inner, c: c}
}

// Inner returns the backend, which holds and returns sealed values (for
// maintenance and tests).
func (s *SealedStore) Inner() storage.Store { return s.inner }

// Pseudonym returns the pseudonym that replaces subjectID on erasure
// (under the current pseudonym key).
func (s *SealedStore) Pseudonym(subjectID string) string { return s.c.Pseudonym(subjectID) }

// Pseudonyms returns subjectID's pseudonym under every live pseudonym key
// version, current first (see FieldCipher.Pseudonyms).
func (s *SealedStore) Pseudonyms(subjectID string) []string { return s.c.Pseudonyms(subjectID) }

// KeyedHash is FieldCipher.KeyedHash under the store's keyring: the
// stored form of backup codes, reset codes and sign-in IP keys.
func (s *SealedStore) KeyedHash(purpose, value string) []byte { return s.c.KeyedHash(purpose, value) }

// KeyedHashEqual is FieldCipher.KeyedHashEqual under the store's keyring.
func (s *SealedStore) KeyedHashEqual(purpose, value string, stored []byte) bool {
	return s.c.KeyedHashEqual(purpose, value, stored)
}

// Ping reports whether the backend is reachable.
func (s *SealedStore) Ping(ctx context.Context) error { return s.inner.Ping(ctx) }

// Close closes the backend.
func (s *SealedStore) Close() error { return s.inner.Close() }
