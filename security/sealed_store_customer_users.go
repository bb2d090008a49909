package security

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// The CustomerUserStore methods of SealedStore: ExternalID, Name and Email
// are sealed under the pii key (record id = customer user id) and
// ExternalIndex is the keyed hash of (organisation, external id), purpose
// customerUserHashPurpose, so a stolen database tells neither who the
// users are nor links them to the customer's own ids.

// Field names bound into the associated data of sealed customer user fields.
const (
	fieldCustomerExternalID = "customer_user.external_id"
	fieldCustomerName       = "customer_user.name"
	fieldCustomerEmail      = "customer_user.email"
)

// customerUserHashPurpose separates customer user indexes from every other
// keyed hash.
const customerUserHashPurpose = "customer-user"

// CustomerUserIndex returns the lookup index of an organisation's external
// user id under the current blind-index key.
func (s *SealedStore) CustomerUserIndex(orgID, externalID string) []byte {
	return s.c.KeyedHash(customerUserHashPurpose, customerUserKey(orgID, externalID))
}

// customerUserIndexes returns the index under every live blind-index
// version, current first (lookups while keys rotate).
func (s *SealedStore) customerUserIndexes(orgID, externalID string) [][]byte {
	return s.c.KeyedHashes(customerUserHashPurpose, customerUserKey(orgID, externalID))
}

// customerUserKey length-prefixes the organisation id so that no (org,
// external id) pair collides with another.
func customerUserKey(orgID, externalID string) string {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(orgID)))
	return string(n[:]) + orgID + externalID
}

// CreateCustomerUser seals u and stores it with its index.
func (s *SealedStore) CreateCustomerUser(ctx context.Context, u storage.CustomerUser) error {
	sealed, err := sealCustomerUser(s.c, u)
	if err != nil {
		return fmt.Errorf("create customer user: %w", err)
	}
	return s.inner.CreateCustomerUser(ctx, sealed)
}

// UpdateCustomerUser seals u under the current keys (its index too) and
// stores it.
func (s *SealedStore) UpdateCustomerUser(ctx context.Context, u storage.CustomerUser) error {
	sealed, err := sealCustomerUser(s.c, u)
	if err != nil {
		return fmt.Errorf("update customer user: %w", err)
	}
	return s.inner.UpdateCustomerUser(ctx, sealed)
}

// GetCustomerUser returns the user with its fields opened.
func (s *SealedStore) GetCustomerUser(ctx context.Context, orgID, id string) (storage.CustomerUser, error) {
	u, err := s.inner.GetCustomerUser(ctx, orgID, id)
	if err != nil {
		return storage.CustomerUser{}, err
	}
	if u, err = openCustomerUser(s.c, u); err != nil {
		return storage.CustomerUser{}, fmt.Errorf("get customer user: %w", err)
	}
	return u, nil
}

// FindCustomerUser returns the user matching one of indexes, opened.
func (s *SealedStore) FindCustomerUser(ctx context.Context, orgID string, indexes [][]byte) (storage.CustomerUser, error) {
	u, err := s.inner.FindCustomerUser(ctx, orgID, indexes)
	if err != nil {
		return storage.CustomerUser{}, err
	}
	if u, err = openCustomerUser(s.c, u); err != nil {
		return storage.CustomerUser{}, fmt.Errorf("find customer user: %w", err)
	}
	return u, nil
}

// FindCustomerUserByExternalID returns the organisation's active customer
// user with the customer's user id externalID, found through the index of
// every live blind-index version. The opened external id is checked
// against the query, so an index copied onto another row does not
// redirect the lookup (an error wrapping ErrDecrypt).
func (s *SealedStore) FindCustomerUserByExternalID(ctx context.Context, orgID, externalID string) (storage.CustomerUser, error) {
	u, err := s.FindCustomerUser(ctx, orgID, s.customerUserIndexes(orgID, externalID))
	if err != nil {
		return storage.CustomerUser{}, err
	}
	if u.ExternalID != externalID {
		return storage.CustomerUser{}, fmt.Errorf("find customer user: %s: index does not match its external id: %w", u.ID, ErrDecrypt)
	}
	return u, nil
}

// GetCustomerUserByVisitor returns the visitor's customer user, opened.
func (s *SealedStore) GetCustomerUserByVisitor(ctx context.Context, orgID, visitorID string) (storage.CustomerUser, error) {
	u, err := s.inner.GetCustomerUserByVisitor(ctx, orgID, visitorID)
	if err != nil {
		return storage.CustomerUser{}, err
	}
	if u, err = openCustomerUser(s.c, u); err != nil {
		return storage.CustomerUser{}, fmt.Errorf("customer user of visitor: %w", err)
	}
	return u, nil
}

// ScanCustomerUsers passes through: its users stay sealed (it is for
// maintenance, see Reencrypt).
func (s *SealedStore) ScanCustomerUsers(ctx context.Context, afterID string, limit int) ([]storage.CustomerUser, error) {
	return s.inner.ScanCustomerUsers(ctx, afterID, limit)
}

// SetCustomerUserVisitor passes through (no PII).
func (s *SealedStore) SetCustomerUserVisitor(ctx context.Context, orgID, id, visitorID string) error {
	return s.inner.SetCustomerUserVisitor(ctx, orgID, id, visitorID)
}

// BumpCustomerUserTokenVersion passes through (no PII).
func (s *SealedStore) BumpCustomerUserTokenVersion(ctx context.Context, orgID, id string) (int64, error) {
	return s.inner.BumpCustomerUserTokenVersion(ctx, orgID, id)
}

// ListCustomerUsers returns a page of users, each opened.
func (s *SealedStore) ListCustomerUsers(ctx context.Context, orgID string, cursor *storage.CustomerUserCursor, limit int) ([]storage.CustomerUser, error) {
	list, err := s.inner.ListCustomerUsers(ctx, orgID, cursor, limit)
	if err != nil {
		return nil, err
	}
	for i, u := range list {
		if list[i], err = openCustomerUser(s.c, u); err != nil {
			return nil, fmt.Errorf("list customer users: %w", err)
		}
	}
	return list, nil
}

// sealCustomerUser returns u with its fields sealed and its index set,
// under c's current keys.
func sealCustomerUser(c *FieldCipher, u storage.CustomerUser) (storage.CustomerUser, error) {
	if u.ID == "" || u.ExternalID == "" {
		return storage.CustomerUser{}, fmt.Errorf("seal customer user: empty id or external id")
	}
	u.ExternalIndex = c.KeyedHash(customerUserHashPurpose, customerUserKey(u.OrgID, u.ExternalID))
	for _, f := range customerUserFields(&u) {
		sealed, err := c.Seal(*f.value, u.ID, f.name)
		if err != nil {
			return storage.CustomerUser{}, err
		}
		*f.value = sealed
	}
	return u, nil
}

// openCustomerUser returns u with its fields opened.
func openCustomerUser(c *FieldCipher, u storage.CustomerUser) (storage.CustomerUser, error) {
	for _, f := range customerUserFields(&u) {
		plain, err := c.Open(*f.value, u.ID, f.name)
		if err != nil {
			return storage.CustomerUser{}, err
		}
		*f.value = plain
	}
	return u, nil
}

// customerUserFields lists u's sealed fields.
func customerUserFields(u *storage.CustomerUser) [3]visitorField {
	return [3]visitorField{
		{fieldCustomerExternalID, &u.ExternalID},
		{fieldCustomerName, &u.Name},
		{fieldCustomerEmail, &u.Email},
	}
}
