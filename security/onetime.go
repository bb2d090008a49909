package security

import "encoding/hex"

// Prefixes of one-time tokens (storage.OneTime), one per purpose, so a
// token of one kind is refused where another is expected before any lookup.
const (
	MagicLinkPrefix  = "hlm_" // sign-in link (storage.PurposeMagicLink)
	MFATicketPrefix  = "hlt_" // second-factor ticket (storage.PurposeMFATicket)
	CeremonyPrefix   = "hlc_" // WebAuthn ceremony (storage.PurposePasskeyChallenge)
	InvitationPrefix = "hli_" // team invitation (storage.PurposeInvitation)
)

// NewOneTimeToken returns a new 256-bit token with prefix and the id it is
// stored under (see OneTimeID). Only the id is ever stored.
func NewOneTimeToken(prefix string) (token, id string) {
	token, h := NewToken(prefix)
	return token, hex.EncodeToString(h[:])
}

// OneTimeID returns the storage id of a presented one-time token: the hex
// SHA-256 of the whole token. ok is false when token is not prefix followed
// by a well-formed body, so garbage is refused without a lookup.
func OneTimeID(token, prefix string) (id string, ok bool) {
	if !wellFormed(token, prefix) {
		return "", false
	}
	h := HashToken(token)
	return hex.EncodeToString(h[:]), true
}
