package security

import (
	"context"
	"errors"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// rawCustomerUserStore is what re-encryption needs for customer users (chat
// tokens): the raw (sealed) methods of storage.CustomerUserStore.
type rawCustomerUserStore interface {
	GetCustomerUser(ctx context.Context, orgID, id string) (storage.CustomerUser, error)
	UpdateCustomerUser(ctx context.Context, u storage.CustomerUser) error
	ScanCustomerUsers(ctx context.Context, afterID string, limit int) ([]storage.CustomerUser, error)
}

// reencryptCustomerUsers moves every customer user onto the current pii
// and blind-index versions, like the visitors (their external id, name and
// email are sealed, their index keyed), adding to p. Every run walks them
// all: those already current are skipped without a write.
func reencryptCustomerUsers(ctx context.Context, raw rawCustomerUserStore, c *FieldCipher, batch int, p *ReencryptProgress, progress func(ReencryptProgress)) error {
	if batch <= 0 {
		batch = defaultReencryptBatch
	}
	after := ""
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("reencrypt customer users: %w", err)
		}
		list, err := raw.ScanCustomerUsers(ctx, after, min(batch, maxReencryptBatch))
		if err != nil {
			return fmt.Errorf("reencrypt customer users: scan after %q: %w", after, err)
		}
		if len(list) == 0 {
			return nil
		}
		for _, u := range list {
			rewrote, err := reencryptCustomerUser(ctx, raw, c, u)
			if err != nil {
				return fmt.Errorf("reencrypt: %w", err)
			}
			p.Scanned++
			if rewrote {
				p.Reencrypted++
			}
			after = u.ID
		}
		if progress != nil {
			progress(*p)
		}
	}
}

// reencryptCustomerUser rewrites one user under the current versions and
// reports whether it had to.
func reencryptCustomerUser(ctx context.Context, raw rawCustomerUserStore, c *FieldCipher, u storage.CustomerUser) (bool, error) {
	if u.Deleted() || customerUserCurrent(c, u) {
		return false, nil
	}
	fresh, err := raw.GetCustomerUser(ctx, u.OrgID, u.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reread customer user %s: %w", u.ID, err)
	}
	if fresh.Deleted() || customerUserCurrent(c, fresh) {
		return false, nil
	}
	opened, err := openCustomerUser(c, fresh)
	if err != nil {
		return false, err
	}
	sealed, err := sealCustomerUser(c, opened)
	if err != nil {
		return false, err
	}
	err = raw.UpdateCustomerUser(ctx, sealed)
	if errors.Is(err, storage.ErrNotFound) { // erased meanwhile
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("rewrite customer user %s: %w", u.ID, err)
	}
	return true, nil
}

// customerUserCurrent reports whether u's sealed fields are under the
// current pii version and its index under the current blind-index one.
func customerUserCurrent(c *FieldCipher, u storage.CustomerUser) bool {
	if countCustomerUserPIIWith(u, c.mustCurrent(KeyPII).version) != countSealed(u) {
		return false
	}
	ver, ok := blindIndexVersion(u.ExternalIndex)
	return ok && ver == c.mustCurrent(KeyBlindIndex).version
}

// countSealed counts u's non-empty sealed fields.
func countSealed(u storage.CustomerUser) int {
	n := 0
	for _, f := range customerUserFields(&u) {
		if *f.value != "" {
			n++
		}
	}
	return n
}

// countCustomerUserPIIWith counts u's fields sealed under pii version.
func countCustomerUserPIIWith(u storage.CustomerUser, version uint32) int {
	n := 0
	for _, f := range customerUserFields(&u) {
		if _, ver, _, err := envelopeHeader(*f.value); err == nil && ver == version {
			n++
		}
	}
	return n
}

// countCustomerUsersWith counts the customer user values that depend on
// version of key name (CountSealedWith): sealed fields for pii, indexes for
// blind-index.
func countCustomerUsersWith(ctx context.Context, raw rawCustomerUserStore, name string, version uint32) (int, error) {
	if name != KeyPII && name != KeyBlindIndex {
		return 0, nil
	}
	n, after := 0, ""
	for {
		list, err := raw.ScanCustomerUsers(ctx, after, maxReencryptBatch)
		if err != nil {
			return 0, fmt.Errorf("count customer users sealed with %s v%d: %w", name, version, err)
		}
		if len(list) == 0 {
			return n, nil
		}
		for _, u := range list {
			if name == KeyPII {
				n += countCustomerUserPIIWith(u, version)
			} else if ver, ok := blindIndexVersion(u.ExternalIndex); ok && ver == version {
				n++
			}
		}
		after = list[len(list)-1].ID
	}
}
