package security

import (
	"context"
	"errors"
	"fmt"

	"github.com/helpr-chat/helpr/storage"
)

// Re-encryption batch sizes: the default, and the cap ScanVisitors applies.
const (
	defaultReencryptBatch = 500
	maxReencryptBatch     = 5000
)

// rawVisitorStore is what re-encryption needs from a backend: the raw
// (sealed) visitor methods, as storage.VisitorStore documents them.
type rawVisitorStore interface {
	GetVisitor(ctx context.Context, orgID, id string) (storage.Visitor, error)
	UpdateVisitor(ctx context.Context, v storage.Visitor) error
	ScanVisitors(ctx context.Context, afterID string, limit int) ([]storage.Visitor, error)
}

// ReencryptProgress counts the visitors a Reencrypt run examined and
// rewrote. LastID is the last visitor fully handled: pass it back as
// afterID to resume.
type ReencryptProgress struct {
	Scanned, Reencrypted int
	LastID               string
}

// Reencrypt moves every visitor with ID > afterID onto the current pii and
// blind-index key versions. It walks raw.ScanVisitors in batches of batch
// (<= 0 means 500; at most 5000), skips erased visitors and visitors
// already entirely on the current versions, and rewrites the others through
// raw: each is re-read just before the write (narrowing the window in which
// a concurrent update could be overwritten), opened with whatever live
// version sealed it and sealed again under the current ones. raw is the
// backend; a *SealedStore is unwrapped to its Inner store. progress, if
// not nil, is called after each batch with the running totals.
//
// It stops at the first error (a value that does not open is one, naming
// the visitor and field) and returns the progress so far, whose LastID
// resumes after the last visitor handled. A run that completes leaves
// CountSealedWith(old version) == 0 for every non-current version, and a
// second run finds nothing to do. Run it only once every server uses the
// rotated keyring, or servers still on the old one keep writing old
// versions (CountSealedWith catches that before a retire).
func Reencrypt(ctx context.Context, raw storage.Store, c *FieldCipher, afterID string, batch int, progress func(ReencryptProgress)) (ReencryptProgress, error) {
	if s, ok := raw.(*SealedStore); ok {
		raw = s.Inner()
	}
	p, err := reencrypt(ctx, raw, c, afterID, batch, progress)
	if err != nil {
		return p, err
	}
	// Then the customer users (chat tokens), all of them each run.
	return p, reencryptCustomerUsers(ctx, raw, c, batch, &p, progress)
}

func reencrypt(ctx context.Context, raw rawVisitorStore, c *FieldCipher, afterID string, batch int, progress func(ReencryptProgress)) (ReencryptProgress, error) {
	if batch <= 0 {
		batch = defaultReencryptBatch
	}
	batch = min(batch, maxReencryptBatch)
	p := ReencryptProgress{LastID: afterID}
	for {
		if err := ctx.Err(); err != nil {
			return p, fmt.Errorf("reencrypt: %w", err)
		}
		vs, err := raw.ScanVisitors(ctx, p.LastID, batch)
		if err != nil {
			return p, fmt.Errorf("reencrypt: scan after %q: %w", p.LastID, err)
		}
		if len(vs) == 0 {
			return p, nil
		}
		for _, v := range vs {
			rewrote, err := reencryptVisitor(ctx, raw, c, v)
			if err != nil {
				return p, fmt.Errorf("reencrypt: %w", err)
			}
			p.Scanned++
			if rewrote {
				p.Reencrypted++
			}
			p.LastID = v.ID
		}
		if progress != nil {
			progress(p)
		}
	}
}

// reencryptVisitor rewrites one visitor under the current versions and
// reports whether it had to.
func reencryptVisitor(ctx context.Context, raw rawVisitorStore, c *FieldCipher, v storage.Visitor) (bool, error) {
	if v.Deleted() || onCurrentKeys(c, v) {
		return false, nil
	}
	fresh, err := raw.GetVisitor(ctx, v.OrgID, v.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reread visitor %s: %w", v.ID, err)
	}
	if fresh.Deleted() || onCurrentKeys(c, fresh) {
		return false, nil
	}
	opened, err := openVisitor(c, fresh)
	if err != nil {
		return false, err
	}
	sealed, err := sealVisitor(c, opened)
	if err != nil {
		return false, err
	}
	err = raw.UpdateVisitor(ctx, sealed)
	if errors.Is(err, storage.ErrNotFound) { // erased meanwhile
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("rewrite visitor %s: %w", v.ID, err)
	}
	return true, nil
}

// onCurrentKeys reports whether every sealed field of v is under the
// current pii version and its email index under the current blind-index
// version (and absent when there is no email).
// Customer users are counted and rewritten the same way
// (reencrypt_customer_users.go).
func onCurrentKeys(c *FieldCipher, v storage.Visitor) bool {
	pii := c.mustCurrent(KeyPII).version
	for _, f := range visitorFields(&v) {
		if *f.value == "" {
			continue
		}
		if _, ver, _, err := envelopeHeader(*f.value); err != nil || ver != pii {
			return false
		}
	}
	if v.Email == "" {
		return len(v.EmailIndex) == 0
	}
	ver, ok := blindIndexVersion(v.EmailIndex)
	return ok && ver == c.mustCurrent(KeyBlindIndex).version
}

// CountSealedWith counts the stored values that still depend on version of
// key name, erased visitors included: for pii, the sealed visitor fields
// under it; for blind-index, the visitor email indexes under it (and the
// same for customer users: sealed fields, keyed indexes). For
// pseudonym it is always 0: pseudonyms are one-way and nothing needs the key
// to read them. `helpr keys retire` refuses while the count is not 0.
func CountSealedWith(ctx context.Context, raw storage.Store, name string, version uint32) (int, error) {
	n, err := countSealedWith(ctx, raw, name, version)
	if err != nil {
		return 0, err
	}
	m, err := countCustomerUsersWith(ctx, raw, name, version)
	return n + m, err
}

func countSealedWith(ctx context.Context, raw rawVisitorStore, name string, version uint32) (int, error) {
	var count func(storage.Visitor) int
	switch name {
	case KeyPII:
		count = func(v storage.Visitor) int { return countPIIWith(v, version) }
	case KeyBlindIndex:
		count = func(v storage.Visitor) int {
			if ver, ok := blindIndexVersion(v.EmailIndex); ok && ver == version {
				return 1
			}
			return 0
		}
	case KeyPseudonym:
		return 0, nil
	default:
		return 0, fmt.Errorf("count sealed with key %q: %w", name, ErrKeyNotFound)
	}
	n, after := 0, ""
	for {
		vs, err := raw.ScanVisitors(ctx, after, maxReencryptBatch)
		if err != nil {
			return 0, fmt.Errorf("count sealed with %s v%d: %w", name, version, err)
		}
		if len(vs) == 0 {
			return n, nil
		}
		for _, v := range vs {
			n += count(v)
		}
		after = vs[len(vs)-1].ID
	}
}

// countPIIWith counts v's fields sealed under pii version.
func countPIIWith(v storage.Visitor, version uint32) int {
	n := 0
	for _, f := range visitorFields(&v) {
		if _, ver, _, err := envelopeHeader(*f.value); err == nil && ver == version {
			n++
		}
	}
	return n
}
