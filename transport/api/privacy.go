package api

import (
	"context"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

var _ Privacy = (*security.SealedStore)(nil)

// Privacy is what the data-subject endpoints need beyond Store:
// email lookup through the blind index and pseudonyms for erased subjects.
// *security.SealedStore implements it. Implementations must be safe for
// concurrent use.
type Privacy interface {
	// FindVisitorByEmail returns the organisation's non-erased visitor whose
	// email is email (compared normalised, through the blind index; never by
	// scanning plaintext), the most recently seen first if several match,
	// decrypted. storage.ErrNotFound if none does; any other error is a
	// backend or decryption failure and must not carry the email.
	FindVisitorByEmail(ctx context.Context, orgID, email string) (storage.Visitor, error)
	// Pseudonym returns the stable pseudonymous id ("anon_…") that replaces
	// subjectID in the audit trail once the subject is erased. It never
	// fails and reveals nothing of subjectID.
	Pseudonym(subjectID string) string
	// Pseudonyms returns subjectID's pseudonym under every live pseudonym
	// key version, current first: a subject erased before a rotation of that
	// key is filed under an older one.
	Pseudonyms(subjectID string) []string
}
