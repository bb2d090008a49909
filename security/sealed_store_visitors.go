package security

import (
	"context"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// The VisitorStore methods of SealedStore: every one but ScanVisitors seals
// or opens PII.

// CreateVisitor seals v's PII and stores it. v.EmailIndex is replaced by
// the blind index of v.Email (nil without an email).
func (s *SealedStore) CreateVisitor(ctx context.Context, v storage.Visitor) error {
	sealed, err := sealVisitor(s.c, v)
	if err != nil {
		return fmt.Errorf("create visitor: %w", err)
	}
	return s.inner.CreateVisitor(ctx, sealed)
}

// UpdateVisitor seals v's PII under the current keys and stores it.
func (s *SealedStore) UpdateVisitor(ctx context.Context, v storage.Visitor) error {
	sealed, err := sealVisitor(s.c, v)
	if err != nil {
		return fmt.Errorf("update visitor: %w", err)
	}
	return s.inner.UpdateVisitor(ctx, sealed)
}

// GetVisitor returns the visitor with its PII opened.
func (s *SealedStore) GetVisitor(ctx context.Context, orgID, id string) (storage.Visitor, error) {
	v, err := s.inner.GetVisitor(ctx, orgID, id)
	if err != nil {
		return storage.Visitor{}, err
	}
	if v, err = openVisitor(s.c, v); err != nil {
		return storage.Visitor{}, fmt.Errorf("get visitor: %w", err)
	}
	return v, nil
}

// FindVisitorByEmailIndex returns the matching visitor with its PII opened.
func (s *SealedStore) FindVisitorByEmailIndex(ctx context.Context, orgID string, indexes [][]byte) (storage.Visitor, error) {
	v, err := s.inner.FindVisitorByEmailIndex(ctx, orgID, indexes)
	if err != nil {
		return storage.Visitor{}, err
	}
	if v, err = openVisitor(s.c, v); err != nil {
		return storage.Visitor{}, fmt.Errorf("find visitor by email index: %w", err)
	}
	return v, nil
}

// FindVisitorByEmail returns the organisation's non-erased visitor whose
// email equals email after normalisation (NormalizeEmail), found through
// the blind indexes of every live blind-index version, so visitors written
// before a blind-index rotation are still found. storage.ErrNotFound if
// none matches or email is empty. The opened email is checked against the
// query, so an index copied onto another row does not redirect the lookup
// (that is an error wrapping ErrDecrypt).
func (s *SealedStore) FindVisitorByEmail(ctx context.Context, orgID, email string) (storage.Visitor, error) {
	indexes := s.c.BlindIndexes(orgID, email)
	if len(indexes) == 0 {
		return storage.Visitor{}, fmt.Errorf("find visitor by email: empty email: %w", storage.ErrNotFound)
	}
	v, err := s.FindVisitorByEmailIndex(ctx, orgID, indexes)
	if err != nil {
		return storage.Visitor{}, fmt.Errorf("find visitor by email: %w", err)
	}
	if NormalizeEmail(v.Email) != NormalizeEmail(email) {
		return storage.Visitor{}, fmt.Errorf("find visitor by email: visitor %s: email index does not match its email: %w",
			v.ID, ErrDecrypt)
	}
	return v, nil
}

// ListVisitors returns a page of the organisation's visitors (newest
// first, erased ones included) with their PII opened. One visitor that
// does not open fails the page: a handler never sees a sealed value.
func (s *SealedStore) ListVisitors(ctx context.Context, orgID string, cursor *storage.VisitorCursor, limit int) ([]storage.Visitor, error) {
	list, err := s.inner.ListVisitors(ctx, orgID, cursor, limit)
	if err != nil {
		return nil, err
	}
	for i, v := range list {
		if list[i], err = openVisitor(s.c, v); err != nil {
			return nil, fmt.Errorf("list visitors: %w", err)
		}
	}
	return list, nil
}

// ScanVisitors passes through: its visitors stay sealed (it is for
// maintenance, see ReEncrypt).
func (s *SealedStore) ScanVisitors(ctx context.Context, afterID string, limit int) ([]storage.Visitor, error) {
	return s.inner.ScanVisitors(ctx, afterID, limit)
}

// sealVisitor returns v with Name, Email and Phone sealed under the current
// pii key and EmailIndex set from the plaintext email.
func sealVisitor(c *FieldCipher, v storage.Visitor) (storage.Visitor, error) {
	if v.ID == "" {
		return storage.Visitor{}, fmt.Errorf("seal visitor: empty id")
	}
	v.EmailIndex = c.BlindIndex(v.OrgID, v.Email)
	for _, f := range visitorFields(&v) {
		sealed, err := c.Seal(*f.value, v.ID, f.name)
		if err != nil {
			return storage.Visitor{}, err
		}
		*f.value = sealed
	}
	return v, nil
}

// openVisitor returns v with Name, Email and Phone opened. EmailIndex is
// left as stored.
func openVisitor(c *FieldCipher, v storage.Visitor) (storage.Visitor, error) {
	for _, f := range visitorFields(&v) {
		plain, err := c.Open(*f.value, v.ID, f.name) // its error names the field and visitor id
		if err != nil {
			return storage.Visitor{}, err
		}
		*f.value = plain
	}
	return v, nil
}

// visitorField points at one PII field of a visitor.
type visitorField struct {
	name  string
	value *string
}

// visitorFields lists v's sealed fields.
func visitorFields(v *storage.Visitor) [3]visitorField {
	return [3]visitorField{
		{fieldVisitorName, &v.Name},
		{fieldVisitorEmail, &v.Email},
		{fieldVisitorPhone, &v.Phone},
	}
}
